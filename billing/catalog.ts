/**
 * The product catalog: license tiers (starter / pro / enterprise) and workstation products
 * (standard / power / ai), each tied to a configurable Stripe price id. Prices themselves live in Stripe;
 * workstation list prices come from lib/domain.ts.
 */
import {
  LICENSE_TIER_NAMES,
  LICENSE_TIERS,
  type LicenseTier,
  WORKSTATION_TIER_NAMES,
  WORKSTATION_TIERS,
  type WorkstationTier,
} from "../lib/domain.js";
import type { ProductName } from "./config.js";

export type CatalogProduct =
  | { product: LicenseTier; kind: "license"; priceId: string; maxContainers: number | null; name: string }
  | {
      product: WorkstationTier;
      kind: "workstation";
      priceId: string;
      workstationTier: WorkstationTier;
      monthlyPriceUsdCents: number;
      name: string;
    };

export interface Catalog {
  products: CatalogProduct[];
  byProduct(product: string): CatalogProduct | undefined;
  byPriceId(priceId: string): CatalogProduct | undefined;
}

const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function buildCatalog(priceIds: Record<ProductName, string>): Catalog {
  const products: CatalogProduct[] = [
    ...LICENSE_TIER_NAMES.map(
      (tier): CatalogProduct => ({
        product: tier,
        kind: "license",
        priceId: priceIds[tier],
        maxContainers: LICENSE_TIERS[tier].maxContainers,
        name: `CODITECT ${title(tier)} license`,
      }),
    ),
    ...WORKSTATION_TIER_NAMES.map(
      (tier): CatalogProduct => ({
        product: tier,
        kind: "workstation",
        priceId: priceIds[tier],
        workstationTier: tier,
        monthlyPriceUsdCents: WORKSTATION_TIERS[tier].monthlyPriceUsdCents,
        name: `Cloud Workstation ${title(tier)}`,
      }),
    ),
  ];
  return {
    products,
    byProduct: (product) => products.find((p) => p.product === product),
    byPriceId: (priceId) => products.find((p) => p.priceId === priceId),
  };
}
