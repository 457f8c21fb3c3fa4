// The dynamic provider behind NicRelease: nothing to create; its delete is the pause Azure needs between a
// VM's deletion and its network interface's. Served through `vm-with-ready-ssh/dynamic-providers`.
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { systemClock, type Clock } from "../readiness/clock";
import { codeChanged } from "../provider-code";

/**
 * How long Azure keeps a network interface reserved for the VM that held it, once that VM is deleted: deleting
 * the NIC sooner fails with NicReservedForAnotherVm ("reserved for another Virtual Machine for 180 seconds").
 */
export const NIC_RESERVATION_S = 180;
/** The pause NicRelease makes: the reservation, and 10 s to spare. */
export const NIC_HOLD_S = NIC_RESERVATION_S + 10;

export interface NicReleaseInputs {
  /** The network interface whose deletion waits. */
  networkInterfaceId: string;
  /** The pause before it is deleted, in seconds. */
  holdSeconds: number;
}

export type NicReleaseOutputs = NicReleaseInputs;

/** NicRelease's provider, on `clock` (tests give theirs), printing its one line with `print`. */
export function nicReleaseProvider(
  clock: Pick<Clock, "sleep"> = systemClock,
  print: (line: string) => void = (line) => console.log(line),
): dynamic.ResourceProvider<NicReleaseInputs, NicReleaseOutputs> {
  return {
    async create(inputs) {
      return { id: inputs.networkInterfaceId, outs: inputs };
    },
    /**
     * Another NIC is another release: replaced, so that the engine deletes this one, and waits, between the
     * VM's deletion and the old NIC's. A new pause or new provider code is an update.
     */
    async diff(_id, olds, news) {
      const replaces =
        olds.networkInterfaceId === news.networkInterfaceId ? [] : ["networkInterfaceId"];
      return {
        changes:
          replaces.length > 0 || olds.holdSeconds !== news.holdSeconds || codeChanged(olds, news),
        replaces,
        deleteBeforeReplace: true,
      };
    },
    async update(_id, _olds, news) {
      return { outs: news };
    },
    async read(id, props) {
      return { id, props };
    },
    /**
     * Runs after the VM that depends on this resource is deleted, and before the NIC it depends on: waits out
     * the NIC's reservation, so the NIC's deletion succeeds.
     */
    async delete(_id, props) {
      const seconds = props.holdSeconds ?? NIC_HOLD_S;
      print(
        `waiting ${seconds} s before the network interface is deleted: Azure keeps it reserved for ${NIC_RESERVATION_S} s after its VM is deleted (NicReservedForAnotherVm)`,
      );
      await clock.sleep(seconds * 1000);
    },
  };
}

export const nicReleaseProviderOnSystemClock = nicReleaseProvider();
