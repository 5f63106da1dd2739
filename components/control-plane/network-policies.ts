/**
 * NetworkPolicy specs for the control-plane namespaces (pure builders). Each namespace starts from
 * default-deny in both directions; then only the flows the services need are opened:
 * DNS, the GKE metadata server (Workload Identity), the Kubernetes API, Google/Stripe APIs over TLS,
 * Cloud SQL for billing, and inbound traffic from Google's load balancers to billing.
 */

/** Plain (non-Input) shapes, assignable to the @pulumi/kubernetes NetworkPolicy types and easy to assert on. */
type Selector = { matchLabels?: Record<string, string> };
export interface PolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: Selector;
  podSelector?: Selector;
}
export interface PolicyPort {
  protocol: "TCP" | "UDP";
  port: number;
}
type EgressRule = { to: PolicyPeer[]; ports: PolicyPort[] };
type IngressRule = { from: PolicyPeer[]; ports: PolicyPort[] };
export interface NetworkPolicySpec {
  podSelector: Selector;
  policyTypes: ("Ingress" | "Egress")[];
  ingress?: IngressRule[];
  egress?: EgressRule[];
}

/** Where pods may reach Google metadata (GKE metadata server) for Workload Identity tokens. */
export const METADATA_SERVER_CIDRS = ["169.254.169.254/32", "169.254.169.252/32"];
/** Private ranges excluded from the "public internet over TLS" rule. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export function defaultDenyAll(): NetworkPolicySpec {
  return { podSelector: {}, policyTypes: ["Ingress", "Egress"] };
}

function dnsEgress(): EgressRule {
  return {
    to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}

function baseEgress(masterCidr: string): EgressRule[] {
  return [
    dnsEgress(),
    {
      to: METADATA_SERVER_CIDRS.map((cidr) => ({ ipBlock: { cidr } })),
      ports: [
        { protocol: "TCP", port: 80 },
        { protocol: "TCP", port: 988 },
      ],
    },
    // The Kubernetes API (private control-plane endpoint).
    { to: [{ ipBlock: { cidr: masterCidr } }], ports: [{ protocol: "TCP", port: 443 }] },
    // Google APIs (and Stripe for billing) over TLS, never to private ranges through this rule.
    {
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }],
      ports: [{ protocol: "TCP", port: 443 }],
    },
  ];
}

/**
 * The namespace that may scrape metrics: Google Managed Prometheus runs its collectors in `gmp-system`.
 * Selected by `kubernetes.io/metadata.name`, the label the API server itself puts on every namespace
 * (immutable), because gmp-system belongs to GKE: a label of ours on it could be reconciled away (ADR 0130).
 */
export const GMP_NAMESPACE = "gmp-system";
export const MONITORING_NAMESPACE_LABEL = { "kubernetes.io/metadata.name": GMP_NAMESPACE };

export function operatorPolicy(
  appLabels: Record<string, string>,
  masterCidr: string,
  probePort: number,
): NetworkPolicySpec {
  return {
    podSelector: { matchLabels: appLabels },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      {
        from: [{ namespaceSelector: { matchLabels: MONITORING_NAMESPACE_LABEL } }],
        ports: [{ protocol: "TCP", port: probePort }],
      },
    ],
    egress: baseEgress(masterCidr),
  };
}

export function billingPolicy(
  appLabels: Record<string, string>,
  masterCidr: string,
  port: number,
  databaseIp: string,
  loadBalancerRanges: string[],
  /** The SMTP relay's port (notifications, ADR 0210): opened to public addresses only, like 443. */
  smtpPort?: number,
): NetworkPolicySpec {
  return {
    podSelector: { matchLabels: appLabels },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      // Google's external HTTPS load balancer reaches pods directly (container-native NEGs).
      { from: loadBalancerRanges.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port }] },
      {
        from: [{ namespaceSelector: { matchLabels: MONITORING_NAMESPACE_LABEL } }],
        ports: [{ protocol: "TCP", port }],
      },
    ],
    egress: [
      ...baseEgress(masterCidr),
      { to: [{ ipBlock: { cidr: `${databaseIp}/32` } }], ports: [{ protocol: "TCP", port: 5432 }] },
      ...(smtpPort === undefined || smtpPort === 443
        ? []
        : [
            {
              to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }],
              ports: [{ protocol: "TCP" as const, port: smtpPort }],
            },
          ]),
    ],
  };
}
