// BuildStamp: a number fixed when a build starts and kept in the stack's state, so a gallery image version
// derived from it is new for every build, grows with time (Azure's "latest" is the highest version) and is
// the same on every later `pulumi up` of that build.
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";

interface StampInputs {
  /** The build identity the stamp belongs to. */
  build: string;
}

interface StampOutputs extends StampInputs {
  /** Seconds since 2020-01-01 UTC at creation: fits a gallery version's 32-bit patch number until 2088. */
  stamp: number;
}

const EPOCH_2020_MS = Date.UTC(2020, 0, 1);

const stampProvider: dynamic.ResourceProvider<StampInputs, StampOutputs> = {
  async create(inputs) {
    const stamp = Math.floor((Date.now() - EPOCH_2020_MS) / 1000);
    return { id: `${inputs.build}-${stamp}`, outs: { ...inputs, stamp } };
  },
  /** Another build is another stamp; nothing else changes one. */
  async diff(_id, olds, news) {
    const replaces = olds.build === news.build ? [] : ["build"];
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async read(id, props) {
    return { id, props };
  },
  async delete() {
    return;
  },
};

export class BuildStamp extends pulumi.dynamic.Resource {
  /** Seconds since 2020-01-01 UTC when the build started. */
  declare readonly stamp: pulumi.Output<number>;

  constructor(
    name: string,
    args: { build: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      stampProvider,
      name,
      { build: args.build, stamp: undefined },
      opts,
      "build-stamp",
      "BuildStamp",
    );
  }
}
