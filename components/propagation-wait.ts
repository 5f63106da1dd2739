/**
 * PropagationWait: a resource whose creation waits a fixed time, for Google IAM grants to propagate before
 * a service uses what they grant (ADR 0100). Built on @pulumi/pulumi's dynamic provider (no extra package:
 * @pulumiverse/time's Sleep is the usual choice, but new dependencies are not an option here). It waits again
 * whenever its triggers change (a new grant), and does nothing on delete.
 */
import * as pulumi from "@pulumi/pulumi";

export interface PropagationWaitArgs {
  /** How long to wait after the resources this depends on exist. */
  seconds: number;
  /** Values (e.g. grant ids) whose change should wait again. */
  triggers: pulumi.Input<string>[];
}

const waitProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { seconds: number }) {
    await new Promise((resolve) => setTimeout(resolve, inputs.seconds * 1000));
    return { id: `waited-${inputs.seconds}s`, outs: inputs };
  },
  async diff(_id: string, olds: { triggers?: string[] }, news: { triggers?: string[] }) {
    const changed = JSON.stringify(olds.triggers ?? []) !== JSON.stringify(news.triggers ?? []);
    return { changes: changed, replaces: changed ? ["triggers"] : [], deleteBeforeReplace: true };
  },
};

export class PropagationWait extends pulumi.dynamic.Resource {
  constructor(name: string, args: PropagationWaitArgs, opts?: pulumi.CustomResourceOptions) {
    if (!Number.isInteger(args.seconds) || args.seconds < 0 || args.seconds > 600) {
      throw new Error(`PropagationWait seconds must be an integer from 0 to 600, got ${args.seconds}`);
    }
    super(waitProvider, name, { seconds: args.seconds, triggers: args.triggers }, opts);
  }
}
