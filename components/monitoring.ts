/**
 * Monitoring: the Cloud Monitoring dashboard and alert policies of the control plane (ADR 0134). The
 * queries are PromQL over what Google Managed Prometheus collects through the PodMonitorings of
 * components/control-plane (ADR 0130); monitoring-definitions.ts holds them as data.
 *
 * Every alert's documentation names its runbook entry in docs/operations.md ("Dashboards and alerts"),
 * with a link when the stack knows where the docs are published. Notification channels are the
 * project's own (PagerDuty, e-mail): pass their ids; without any, incidents still open in the console.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import {
  type AlertDefinition,
  type AlertThresholds,
  alertDefinitions,
  type ChartGroup,
  DEFAULT_ALERT_THRESHOLDS,
  dashboardCharts,
  type Namespaces,
} from "./monitoring-definitions.js";
import { childName } from "./naming.js";

export const RUNBOOK_DOC = "docs/operations.md";

export interface MonitoringArgs {
  project: pulumi.Input<string>;
  namespaces: Namespaces;
  /** e.g. https://github.com/<org>/<repo>/blob/main — runbook links become `${base}/docs/operations.md#…`. */
  docsBaseUrl?: string;
  notificationChannels?: pulumi.Input<string>[];
  thresholds?: Partial<AlertThresholds>;
}

/** The runbook anchor of an alert (a `### Alert: …` heading in docs/operations.md). */
export const runbookAnchor = (alert: Pick<AlertDefinition, "id">) => `alert-${alert.id}`;

/** Cloud Monitoring dashboard JSON: one collapsible group per ChartGroup, two charts per row. */
export function dashboardJson(title: string, groups: ChartGroup[]): string {
  const WIDTH = 24;
  const tiles: Record<string, unknown>[] = [];
  let y = 0;
  for (const group of groups) {
    const rows = Math.ceil(group.charts.length / 2);
    tiles.push({
      xPos: 0,
      yPos: y,
      width: 48,
      height: 4 + rows * 16,
      widget: { title: group.title, collapsibleGroup: { collapsed: false } },
    });
    y += 4;
    group.charts.forEach((chart, i) => {
      tiles.push({
        xPos: (i % 2) * WIDTH,
        yPos: y + Math.floor(i / 2) * 16,
        width: WIDTH,
        height: 16,
        widget: {
          title: chart.title,
          xyChart: {
            dataSets: [
              {
                timeSeriesQuery: { prometheusQuery: chart.query, unitOverride: chart.unit ?? "" },
                plotType: "LINE",
              },
            ],
            yAxis: { scale: "LINEAR" },
          },
        },
      });
    });
    y += rows * 16;
  }
  return JSON.stringify({ displayName: title, mosaicLayout: { columns: 48, tiles } });
}

export function alertDocumentation(alert: AlertDefinition, docsBaseUrl?: string) {
  const anchor = runbookAnchor(alert);
  const where = `${RUNBOOK_DOC}#${anchor}`;
  return {
    mimeType: "text/markdown",
    subject: `[coditect] ${alert.displayName}`,
    content: `${alert.summary}\n\nRunbook: ${docsBaseUrl ? `[${where}](${docsBaseUrl}/${where})` : `\`${where}\` in the control-plane repository`}`,
    ...(docsBaseUrl ? { links: [{ displayName: "Runbook", url: `${docsBaseUrl}/${where}` }] } : {}),
  };
}

export class Monitoring extends pulumi.ComponentResource {
  readonly dashboard: gcp.monitoring.Dashboard;
  readonly alerts: Record<string, gcp.monitoring.AlertPolicy>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:Monitoring", name, {}, opts);
    const parent = { parent: this };
    this.dashboard = new gcp.monitoring.Dashboard(
      childName(name, "dashboard"),
      { project: args.project, dashboardJson: dashboardJson("CODITECT control plane", dashboardCharts()) },
      parent,
    );
    const thresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...args.thresholds };
    this.alerts = {};
    for (const alert of alertDefinitions(args.namespaces, thresholds)) {
      this.alerts[alert.id] = new gcp.monitoring.AlertPolicy(
        childName(name, alert.id),
        {
          project: args.project,
          displayName: `[coditect] ${alert.displayName}`,
          severity: alert.severity,
          combiner: "OR",
          conditions: alert.conditions.map((condition) => ({
            displayName: condition.displayName,
            conditionPrometheusQueryLanguage: {
              query: condition.query,
              duration: condition.duration,
              evaluationInterval: "60s",
              // The first deploy creates the policies before any series exists.
              disableMetricValidation: true,
            },
          })),
          documentation: alertDocumentation(alert, args.docsBaseUrl),
          ...(args.notificationChannels?.length ? { notificationChannels: args.notificationChannels } : {}),
          userLabels: { app: "coditect", alert: alert.id },
        },
        parent,
      );
    }
    this.registerOutputs({ dashboard: this.dashboard.id });
  }
}
