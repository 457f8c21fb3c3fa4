// The arguments of VmWithReadySsh, each with its default. Switches that decide whether a child exists
// (publicIp, natGateway, subnetId vs a new network) are plain values, so they are known at preview.
import type * as pulumi from "@pulumi/pulumi";
import type { Level } from "../readiness/options";
import { optionSpec } from "../readiness/spec";
import type { SshReadinessJumpHost } from "../ssh-readiness/ssh-readiness";

/** A marketplace image or a custom/gallery image by resource ID. */
export type ImageReference =
  | {
      /** Image publisher, e.g. "Canonical". */
      publisher: string;
      /** Image offer, e.g. "ubuntu-24_04-lts". */
      offer: string;
      /** Image SKU, e.g. "server". */
      sku: string;
      /** Image version. Defaults to "latest". */
      version?: string;
    }
  | {
      /** Resource ID of a managed image or a gallery image version. */
      id: pulumi.Input<string>;
    };

export interface VmNetworkArgs {
  /**
   * Give the VM a public IP address (Standard SKU, static) and reach it there. Requires
   * `allowedSshSourceCidrs`. Defaults to false: the VM has only a private address.
   */
  publicIp?: boolean;
  /**
   * Sources allowed to reach port 22, as CIDRs or addresses ("203.0.113.4/32"). Required with `publicIp`.
   * Defaults, for a private VM, to the new VNet's address space (or the `VirtualNetwork` service tag with
   * `subnetId`). "0.0.0.0/0" is allowed only when written, and warned about.
   */
  allowedSshSourceCidrs?: string[];
  /** Put the VM in this existing subnet (resource ID) instead of a new VNet. Excludes the options below. */
  subnetId?: pulumi.Input<string>;
  /**
   * Address space of the new VNet. Defaults to ["10.0.0.0/16"]. Azure's reserved ranges (multicast,
   * loopback, link-local, 168.63.129.16) are refused.
   */
  vnetAddressSpace?: string[];
  /**
   * Address prefix of the new subnet, inside the VNet's space: IPv4, /2 to /29 (Azure's limits; the VM's
   * network interface needs IPv4). Defaults to "10.0.0.0/24".
   */
  subnetAddressPrefix?: string;
  /**
   * Give the new subnet a NAT gateway (Standard, with its own public IP) for outbound traffic. The new subnet
   * is private (`defaultOutboundAccess: false`), so a VM without a public IP has no way to the internet (package
   * mirrors, cloud-init's package steps) without one. Defaults to true for a private VM, false with `publicIp`.
   */
  natGateway?: boolean;
}

export interface VmSshArgs {
  /** The admin user's public key (OpenSSH line: ssh-ed25519, or ssh-rsa ≥ 2048 bits). Derived from `privateKey` when omitted. */
  publicKey?: pulumi.Input<string>;
  /**
   * The matching private key, used by the readiness check and exposed in `connection` (secret). When both keys
   * are omitted, an Ed25519 pair is generated once and kept in the stack's state (secret).
   */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of `privateKey`, if it is encrypted. */
  passphrase?: pulumi.Input<string>;
}

export interface VmReadinessArgs {
  /** What "ready" means (see SshReadiness). Defaults to `command`: login works and cloud-init is done. */
  level?: Level;
  /** Readiness command at level `command`. Defaults to waiting for cloud-init. */
  command?: pulumi.Input<string>;
  /** Overall deadline: seconds or a duration ("15m"). Defaults to 15 minutes. */
  timeout?: pulumi.Input<number | string>;
  /** Limit of each connect, banner wait and login: seconds or a duration. Defaults to 15 seconds. */
  attemptTimeout?: pulumi.Input<number | string>;
  /** Limit of one run of the readiness command: seconds or a duration. Defaults to 5 minutes. */
  commandTimeout?: pulumi.Input<number | string>;
  /** Reach the VM through this SSH bastion (e.g. a private VM from outside its VNet). Defaults to none. */
  jumpHost?: pulumi.Input<SshReadinessJumpHost>;
}

export interface VmWithReadySshArgs {
  /** Azure region, e.g. "westeurope". */
  location: pulumi.Input<string>;
  /** Put everything in this existing resource group. Defaults to a new one. */
  resourceGroupName?: pulumi.Input<string>;
  /**
   * Admin user: 1–64 characters, a name `useradd` accepts ([A-Za-z0-9._-], not starting with "-", not ending
   * with ".", not all digits), none of the names Azure reserves (admin, root, user, test, …) and none of the
   * system accounts Linux images already have (bin, daemon, sshd, systemd-…; both compared without case).
   * Changing it replaces the VM.
   */
  adminUsername: string;
  /** SSH keys of the admin user. Defaults to a generated Ed25519 pair. */
  ssh?: VmSshArgs;
  /**
   * How the first connection is trusted. `"generated"` (default): the component makes the VM's host keys (RSA
   * 3072, ECDSA P-256 and Ed25519, the types a normal first boot makes; the Azure VM agent waits for the RSA
   * one), hands them to cloud-init (`ssh_keys`) and pins all three, so even the first connection is verified.
   * The price: the host private keys are in the stack's state (encrypted) and in the VM's custom data (readable
   * by anyone who can read the VM's model in Azure). Needs readiness level `auth` or `command`.
   * `"first-seen"`: no key is injected; the key sshd presents at the first login is reported and used.
   * `"console"`: no key is injected either, and the check pins the host keys cloud-init prints on the VM's serial
   * console at its first boot, read from its boot diagnostics (which the component turns on): verified from the
   * first contact, with no private key in the state or the custom data. Needs `@azure/identity` (an optional
   * dependency) and an Azure login where `pulumi up` runs, allowed
   * `Microsoft.Compute/virtualMachines/retrieveBootDiagnosticsData/action` on the VM; and readiness level `auth`
   * or `command`. Changing it to or from `"generated"` replaces the VM; between the others, only the check runs
   * again.
   */
  hostKeyTrust?: "generated" | "first-seen" | "console";
  /**
   * VM size. Defaults to "Standard_D2s_v5" (2 vCPU, 8 GiB, general purpose). Changed in place: Azure restarts the
   * VM on the new size when its hardware cluster has it; when not, Azure refuses and the VM runs on unchanged
   * (deallocate it, `az vm deallocate`, and run `pulumi up` again).
   */
  vmSize?: pulumi.Input<string>;
  /**
   * The VM's security type: "Standard", or "TrustedLaunch" (Secure Boot and a virtual TPM; needs a Generation 2
   * image). Unset, Azure's default for the API version is used (Standard today; Azure plans Trusted Launch as
   * the default for new Generation 2 VMs): set it to be sure. Changing it replaces the VM.
   */
  securityType?: "Standard" | "TrustedLaunch";
  /**
   * Image: a URN "Publisher:Offer:Sku:Version" or a reference. Defaults to Ubuntu 24.04 LTS,
   * "Canonical:ubuntu-24_04-lts:server:latest". Changing it replaces the VM.
   */
  image?: string | ImageReference;
  /**
   * OS disk. Deleted with the VM. Changing it replaces the VM (a new disk from the image): Azure changes an OS
   * disk's size or type only on a deallocated VM, and never shrinks one.
   */
  osDisk?: {
    /** Size in GiB, 30–4095. Defaults to the image's size. */
    sizeGb?: number;
    /**
     * Disk type: Standard_LRS, StandardSSD_LRS, StandardSSD_ZRS, Premium_LRS or Premium_ZRS (Premium needs a
     * size with premium storage, an "s" in its name). Defaults to "StandardSSD_LRS".
     */
    storageAccountType?: pulumi.Input<string>;
  };
  /**
   * Host name of the VM: 1–63 of [A-Za-z0-9-], not starting or ending with "-", not all digits. Defaults to
   * `name`, tidied. Changing it replaces the VM.
   */
  computerName?: string;
  /**
   * Your cloud-init user data (plain text: #cloud-config, a #! script, or MIME). Merged with the component's own
   * cloud-config (the host keys) into one multi-part document, yours first. With generated host keys it must
   * not set `ssh_keys` or `ssh_deletekeys: false` (checked at preview, MIME parts and archives included). The
   * result must stay within Azure's 65,535 bytes. Azure cannot change custom data: changing it replaces the VM.
   */
  customData?: string;
  /** Where the VM sits on the network and who may reach its port 22. Defaults to a new VNet and private subnet. */
  network?: VmNetworkArgs;
  /** How the readiness check waits. Defaults to level `command` (cloud-init done) within 15 minutes. */
  readiness?: VmReadinessArgs;
  /** Connect to this address instead of the public IP (or the private IP without one). */
  sshHost?: pulumi.Input<string>;
  /**
   * Once created, never change the VM or wait for it again (`ignoreChanges: ["*"]` on the VM and its
   * `SshReadiness`): for an image build, whose VM is deprovisioned and generalized, refuses any change (even a
   * tag, even after `pulumi refresh`) and no longer answers SSH. A new VM then comes only from a new resource
   * name. Needs a Pulumi CLI from mid-2023 on (wildcard `ignoreChanges`, pulumi/pulumi#13005). Defaults to false.
   */
  frozen?: boolean;
  /** Tags for every Azure resource the component creates. */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const DEFAULTS = {
  vmSize: "Standard_D2s_v5",
  image: "Canonical:ubuntu-24_04-lts:server:latest",
  osDiskType: "StandardSSD_LRS",
  vnetAddressSpace: ["10.0.0.0/16"],
  subnetAddressPrefix: "10.0.0.0/24",
  readinessLevel: optionSpec("level").component!.default as Level,
  readinessTimeout: optionSpec("timeout").component!.default as string,
  sshPort: 22,
  /** Priority of the NSG rule that allows SSH. */
  sshRulePriority: 1000,
} as const;

/** Azure's limit on custom data, decoded (bytes). */
export const CUSTOM_DATA_LIMIT = 65_535;
