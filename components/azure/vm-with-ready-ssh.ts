// VmWithReadySsh: an Azure Linux VM, its network, a pinned host key, and an SshReadiness that resolves only
// when sshd really answers. Anything built on `connection` runs against a ready VM with a verified key.
// @pulumi/azure-native is an optional peer, loaded only when a VM is made (azureNative below): everything else
// in this package works without it, and its types never appear in this module's public declarations.
import type * as Compute from "@pulumi/azure-native/compute";
import type * as Network from "@pulumi/azure-native/network";
import type * as Resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { SshReadiness, type SshReadinessArgs } from "../ssh-readiness/ssh-readiness";
import { COMPONENT_READINESS_OPTIONS } from "../readiness/spec";
import { DEFAULTS, type VmReadinessArgs, type VmWithReadySshArgs } from "./args";
import { encodeCustomData, vmUserData, type HostKeys } from "./cloud-init";
import { KEY_TYPES, type KeyType } from "../keys/generation";
import { NicRelease, type NicReleaseArgs } from "./nic-release";
import { SshKeyPair, type SshKeyPairArgs } from "./ssh-key-pair";
import {
  canonicalCidr,
  checkPublicKey,
  hostKeyComment,
  parseImage,
  publicKeyOf,
  tidyComputerName,
  validateVmArgs,
} from "./validate";

/**
 * What `@pulumi/command`'s `remote.Command` takes as `connection`. `hostKey` (needs @pulumi/command ≥ 1.1) is
 * there only when the readiness check saw the key at a login: @pulumi/command parses any value it is given.
 */
export interface VmConnection {
  /** The address the readiness check reached sshd at. */
  host: string;
  /** sshd's port. */
  port: number;
  /** The admin user. */
  user: string;
  /** The admin user's private key. */
  privateKey: string;
  /** Passphrase of `privateKey`, when it has one. */
  privateKeyPassword?: string;
  /** The verified host key (OpenSSH public key line), when the check logged in. */
  hostKey?: string;
}

/**
 * The VM's inputs Azure refuses to change on an existing VM (PropertyChangeNotAllowed): the OS profile (custom
 * data, admin user and keys, computer name), the image, and the NIC (swapping NICs needs a deallocated VM);
 * the OS disk, whose size and type Azure changes only on a deallocated VM (and never shrinks); and the security
 * type (Trusted Launch), which Azure changes only on a deallocated VM. A change
 * to any of them replaces the VM, the old one deleted first: the new VM needs the NIC it holds.
 */
export const VM_REPLACE_ON_CHANGES = [
  "osProfile",
  "storageProfile.imageReference",
  "storageProfile.osDisk",
  "networkProfile",
  "securityProfile",
];
/**
 * The NIC moves to another subnet by replacement: Azure keeps a NIC in its VNet (within it, a NIC may change
 * subnet in place, but a subnet ID may be another VNet's, unknown at preview). Deleted first, since a public IP
 * is on one NIC at a time; NicRelease makes its deletion wait out Azure's reservation after the VM's.
 */
export const NIC_REPLACE_ON_CHANGES = ["ipConfigurations[*].subnet"];

/** The azure-native modules this component uses, or one line naming the package to install. */
function azureNative(): {
  compute: typeof Compute;
  network: typeof Network;
  resources: typeof Resources;
} {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: an optional peer dependency */
    return {
      compute: require("@pulumi/azure-native/compute") as typeof Compute,
      network: require("@pulumi/azure-native/network") as typeof Network,
      resources: require("@pulumi/azure-native/resources") as typeof Resources,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "MODULE_NOT_FOUND" && /@pulumi\/azure-native/.test((error as Error).message)) {
      throw new Error(
        "VmWithReadySsh needs the @pulumi/azure-native package: install it in your Pulumi project with `npm install @pulumi/azure-native`",
      );
    }
    throw error;
  }
}

/** What the component reads of a key pair child, whichever resource makes it. */
export interface KeyPairResource extends pulumi.CustomResource {
  readonly publicKey: pulumi.Output<string>;
  readonly privateKey: pulumi.Output<string>;
}

/** The pause between the VM's deletion and its NIC's (see NicRelease), whichever resource makes it. */
export type NicReleaseResource = pulumi.CustomResource;

/** What the component reads of its readiness child, whichever resource makes it. */
export interface ReadinessResource extends pulumi.CustomResource {
  readonly host: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly hostKey: pulumi.Output<string | undefined>;
  readonly knownHostsLine: pulumi.Output<string | undefined>;
}

/**
 * VmWithReadySsh, whichever resources make its key pairs and its readiness check: this package's dynamic
 * resources (VmWithReadySsh below, for TypeScript and JavaScript programs), or the provider plugin's custom
 * resources (components/plugin/resources.ts, for programs in other languages). The constructor reads as the
 * order things are made in; each part is a function of its own below.
 */
export abstract class VmWithReadySshBase<Ready extends ReadinessResource>
  extends pulumi.ComponentResource
{
  /**
   * The VM, an azure-native `compute.VirtualMachine` (typed here as a plain resource, so these declarations do
   * not need @pulumi/azure-native's types). Its `id` is the VM's Azure resource ID.
   */
  public readonly virtualMachine: pulumi.CustomResource;
  /** The VM's unique ID; a new one means a new VM (the readiness check waits again). */
  public readonly vmId: pulumi.Output<string>;
  /** The resource group the VM and its network are in. */
  public readonly resourceGroupName: pulumi.Output<string>;
  /** The VM's private IP address. */
  public readonly privateIpAddress: pulumi.Output<string>;
  /** The public IP address, when `network.publicIp` is true. */
  public readonly publicIpAddress: pulumi.Output<string | undefined>;
  /** The address the readiness check (and `connection`) uses. */
  public readonly sshHost: pulumi.Output<string>;
  /** The admin user. */
  public readonly adminUsername: pulumi.Output<string>;
  /** The readiness resource: put it in `dependsOn` of anything that needs SSH. */
  public readonly ready: Ready;
  /**
   * The host key sshd presented, verified against the pin (OpenSSH public key line); with `"first-seen"`, the
   * key seen at the first login. Undefined at readiness levels that do not log in.
   */
  public readonly hostKey: pulumi.Output<string | undefined>;
  /** A known_hosts line for `sshHost`; undefined when `hostKey` is. */
  public readonly knownHostsLine: pulumi.Output<string | undefined>;
  /** The pinned host public keys (Ed25519, ECDSA, RSA); undefined with `"first-seen"`. */
  public readonly hostPublicKeys: pulumi.Output<string[] | undefined>;
  /** `@pulumi/command`'s connection, built from the readiness outputs; secret (it holds the key). */
  public readonly connection: pulumi.Output<VmConnection>;
  /** The admin user's public key. */
  public readonly adminPublicKey: pulumi.Output<string>;
  /** The admin user's private key (the given or the generated one); secret. */
  public readonly adminPrivateKey: pulumi.Output<string>;

  constructor(name: string, args: VmWithReadySshArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before anything is registered: a missing package or a bad argument stops the program with nothing made.
    const azure = azureNative();
    const { warnings } = validateVmArgs(name, args);
    super("vm-with-ready-ssh:azure:VmWithReadySsh", name, {}, opts);
    for (const warning of warnings) void pulumi.log.warn(warning, this);

    const parent = { parent: this };
    // A frozen VM (an image build's) is never sent a change, nor waited for again.
    const frozen = args.frozen ? { ignoreChanges: ["*"] } : {};
    const resourceGroupName =
      args.resourceGroupName !== undefined
        ? pulumi.output(args.resourceGroupName)
        : new azure.resources.ResourceGroup(
            `${name}-rg`,
            { location: args.location, tags: args.tags },
            parent,
          ).name;
    const place: Placement = {
      name,
      azure,
      parent,
      location: args.location,
      tags: args.tags,
      resourceGroupName,
    };
    const newKeyPair = (keyName: string, keyArgs: SshKeyPairArgs) =>
      this.newKeyPair(keyName, keyArgs, parent);

    const admin = adminKey(name, args, newKeyPair);
    const hostKeys = hostKeyPairs(name, args, newKeyPair);
    const { nic, publicIp } = vmNetwork(place, args.network ?? {});
    // Between the VM and its NIC: the engine deletes the VM, then this (waiting out Azure's reservation of
    // the NIC), then the NIC.
    const nicRelease = this.newNicRelease(
      `${name}-nic-release`,
      { networkInterfaceId: nic.id },
      parent,
    );
    const vm = virtualMachine(place, args, {
      nicId: nic.id,
      nicRelease,
      publicKey: admin.publicKey,
      customData: customDataOf(args.customData, hostKeys),
      frozen,
    });

    this.resourceGroupName = resourceGroupName;
    this.virtualMachine = vm;
    this.vmId = vm.vmId;
    this.privateIpAddress = nic.ipConfigurations.apply(
      (configs) => configs?.[0]?.privateIPAddress ?? "",
    );
    this.publicIpAddress = publicIp ? publicIp.ipAddress : pulumi.output(undefined);
    this.sshHost =
      args.sshHost !== undefined
        ? pulumi.output(args.sshHost)
        : publicIp
          ? publicIp.ipAddress.apply((address) => address ?? "")
          : this.privateIpAddress;
    this.adminUsername = pulumi.output(args.adminUsername);

    const hostPublicKeys = hostKeys
      ? pulumi.all(KEY_TYPES.map((type) => hostKeys[type].publicKey))
      : undefined;
    const ssh = args.ssh ?? {};
    this.ready = this.newReadiness(
      `${name}-ready`,
      {
        host: this.sshHost,
        port: DEFAULTS.sshPort,
        username: args.adminUsername,
        privateKey: admin.privateKey,
        passphrase: ssh.passphrase,
        // The readiness arguments, each with the component's default where the spec gives one (level, timeout).
        ...readinessArgs(args.readiness ?? {}),
        // Ed25519 first: the check offers the pinned types in this order, so sshd presents that one. Or the keys
        // the VM's console shows.
        hostKeyPin: args.hostKeyTrust === "console" ? "console" : hostPublicKeys,
        // Its console, from boot diagnostics: a give-up shows its lines that matter (and "console" trust reads it).
        azureVmId: vm.id,
        // A replaced VM has a new vmId: wait for it again.
        triggers: [this.vmId],
      },
      { parent: this, dependsOn: [this.virtualMachine], ...frozen },
    );

    // An empty key is no key: @pulumi/command would fail to parse "".
    this.hostKey = this.ready.hostKey.apply((key) => key || undefined);
    this.knownHostsLine = this.ready.knownHostsLine.apply((line) => line || undefined);
    this.hostPublicKeys = hostPublicKeys ?? pulumi.output(undefined);
    this.adminPublicKey = admin.publicKey;
    this.adminPrivateKey = admin.privateKey;
    const user = args.adminUsername;
    this.connection = pulumi
      .all([this.ready.host, this.ready.port, this.ready.hostKey, admin.privateKey, ssh.passphrase])
      .apply(([host, port, verifiedKey, key, passphrase]) => ({
        host,
        port,
        user,
        privateKey: key,
        ...(passphrase === undefined ? {} : { privateKeyPassword: passphrase }),
        ...(verifiedKey ? { hostKey: verifiedKey } : {}),
      }));

    this.registerOutputs({
      virtualMachine: this.virtualMachine,
      vmId: this.vmId,
      resourceGroupName: this.resourceGroupName,
      privateIpAddress: this.privateIpAddress,
      publicIpAddress: this.publicIpAddress,
      sshHost: this.sshHost,
      adminUsername: this.adminUsername,
      ready: this.ready,
      hostKey: this.hostKey,
      knownHostsLine: this.knownHostsLine,
      hostPublicKeys: this.hostPublicKeys,
      connection: this.connection,
      adminPublicKey: this.adminPublicKey,
      adminPrivateKey: this.adminPrivateKey,
    });
  }

  /** Makes a key pair child. */
  protected abstract newKeyPair(
    name: string,
    args: SshKeyPairArgs,
    opts: pulumi.CustomResourceOptions,
  ): KeyPairResource;

  /** Makes the NIC's release, which the VM depends on (see NicRelease). */
  protected abstract newNicRelease(
    name: string,
    args: NicReleaseArgs,
    opts: pulumi.CustomResourceOptions,
  ): NicReleaseResource;

  /** Makes the readiness child. */
  protected abstract newReadiness(
    name: string,
    args: SshReadinessArgs,
    opts: pulumi.CustomResourceOptions,
  ): Ready;
}

/**
 * An Azure Linux VM, its network, its host keys pinned from the first contact, and an SshReadiness (`ready`)
 * that resolves only when sshd really answers. Its key pairs and readiness check are dynamic resources:
 * TypeScript and JavaScript programs need no plugin.
 */
export class VmWithReadySsh extends VmWithReadySshBase<SshReadiness> {
  protected newKeyPair(
    name: string,
    args: SshKeyPairArgs,
    opts: pulumi.CustomResourceOptions,
  ): KeyPairResource {
    return new SshKeyPair(name, args, opts);
  }

  protected newNicRelease(
    name: string,
    args: NicReleaseArgs,
    opts: pulumi.CustomResourceOptions,
  ): NicReleaseResource {
    return new NicRelease(name, args, opts);
  }

  protected newReadiness(
    name: string,
    args: SshReadinessArgs,
    opts: pulumi.CustomResourceOptions,
  ): SshReadiness {
    return new SshReadiness(name, args, opts);
  }
}

/** Where the component's Azure resources go, and under what. */
interface Placement {
  /** The component's name: each child's name starts with it. */
  name: string;
  azure: ReturnType<typeof azureNative>;
  parent: pulumi.CustomResourceOptions;
  location: pulumi.Input<string> | undefined;
  tags: VmWithReadySshArgs["tags"];
  resourceGroupName: pulumi.Output<string>;
}

/** The admin key: the user's (its public half given or derived), or a pair generated once and kept. */
function adminKey(
  name: string,
  args: VmWithReadySshArgs,
  newKeyPair: (name: string, args: SshKeyPairArgs) => KeyPairResource,
): { privateKey: pulumi.Output<string>; publicKey: pulumi.Output<string> } {
  const ssh = args.ssh ?? {};
  const generated =
    ssh.privateKey === undefined
      ? newKeyPair(`${name}-admin-key`, { comment: `${args.adminUsername}@${name}` })
      : undefined;
  // Secret here too, not only through the key pair's additionalSecretOutputs: the key must never be plain.
  const privateKey = pulumi.secret(generated ? generated.privateKey : ssh.privateKey!);
  const publicKey = generated
    ? generated.publicKey
    : ssh.publicKey !== undefined
      ? pulumi.output(ssh.publicKey).apply((key) => checkPublicKey(key))
      : pulumi.unsecret(
          pulumi
            .all([ssh.privateKey!, ssh.passphrase])
            .apply(([key, pass]) => publicKeyOf(key, pass)),
        );
  return { privateKey, publicKey };
}

/**
 * One host key pair of each type, pinned from the first contact; none unless `hostKeyTrust` is `"generated"`. The
 * Ed25519 pair keeps the name it had when it was the only one, so an upgrade of this package keeps it.
 */
function hostKeyPairs(
  name: string,
  args: VmWithReadySshArgs,
  newKeyPair: (name: string, args: SshKeyPairArgs) => KeyPairResource,
): Record<KeyType, KeyPairResource> | undefined {
  if ((args.hostKeyTrust ?? "generated") !== "generated") return undefined;
  return Object.fromEntries(
    KEY_TYPES.map((type) => [
      type,
      newKeyPair(type === "ed25519" ? `${name}-host-key` : `${name}-host-key-${type}`, {
        comment: hostKeyComment(name, type),
        keyType: type,
      }),
    ]),
  ) as Record<KeyType, KeyPairResource>;
}

/**
 * The VM's network: an existing subnet, or a VNet with a private subnet (and a NAT gateway for a VM without a
 * public IP); the NSG that lets SSH in from the allowed sources only; the public IP, if asked; the NIC.
 */
function vmNetwork(
  place: Placement,
  net: NonNullable<VmWithReadySshArgs["network"]>,
): { nic: Network.NetworkInterface; publicIp: Network.PublicIPAddress | undefined } {
  const { name, parent, location, tags, resourceGroupName } = place;
  const { network } = place.azure;
  const standardPublicIp = (ipName: string) =>
    new network.PublicIPAddress(
      ipName,
      {
        resourceGroupName,
        location,
        tags,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
      },
      parent,
    );

  // CIDRs as Azure stores them (validate.ts checked them): "10.0.0.0/016" is sent as "10.0.0.0/16".
  const vnetSpace = (net.vnetAddressSpace ?? DEFAULTS.vnetAddressSpace).map((cidr) =>
    canonicalCidr(cidr, "network.vnetAddressSpace"),
  );
  let subnetId: pulumi.Input<string>;
  if (net.subnetId !== undefined) {
    subnetId = net.subnetId;
  } else {
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      { resourceGroupName, location, tags, addressSpace: { addressPrefixes: vnetSpace } },
      parent,
    );
    const nat =
      (net.natGateway ?? !net.publicIp)
        ? new network.NatGateway(
            `${name}-nat`,
            {
              resourceGroupName,
              location,
              tags,
              sku: { name: "Standard" },
              publicIpAddresses: [{ id: standardPublicIp(`${name}-nat-ip`).id }],
            },
            parent,
          )
        : undefined;
    subnetId = new network.Subnet(
      `${name}-subnet`,
      {
        resourceGroupName,
        virtualNetworkName: vnet.name,
        addressPrefix: canonicalCidr(
          net.subnetAddressPrefix ?? DEFAULTS.subnetAddressPrefix,
          "network.subnetAddressPrefix",
        ),
        // Explicit, whatever the API version's default: no implicit internet access. A public IP or the NAT
        // gateway is the VM's way out.
        defaultOutboundAccess: false,
        natGateway: nat ? { id: nat.id } : undefined,
      },
      // Azure does not change the range of a subnet in use: a new range is a new subnet (made before the old
      // one is deleted, so the two must not overlap), and the NIC and the VM move into it by replacement.
      { ...parent, replaceOnChanges: ["addressPrefix"] },
    ).id;
  }

  const sources =
    net.allowedSshSourceCidrs?.map((cidr) =>
      canonicalCidr(cidr, "network.allowedSshSourceCidrs"),
    ) ?? (net.subnetId !== undefined ? ["VirtualNetwork"] : vnetSpace);
  const nsg = new network.NetworkSecurityGroup(
    `${name}-nsg`,
    {
      resourceGroupName,
      location,
      tags,
      securityRules: [
        {
          name: "allow-ssh",
          description: "SSH from the allowed sources only (vm-with-ready-ssh)",
          priority: DEFAULTS.sshRulePriority,
          direction: "Inbound",
          access: "Allow",
          protocol: "Tcp",
          sourcePortRange: "*",
          destinationPortRange: String(DEFAULTS.sshPort),
          destinationAddressPrefix: "*",
          // A service tag such as VirtualNetwork is allowed only in the singular field.
          ...(sources.length === 1
            ? { sourceAddressPrefix: sources[0] }
            : { sourceAddressPrefixes: sources }),
        },
      ],
    },
    parent,
  );

  const publicIp = net.publicIp ? standardPublicIp(`${name}-ip`) : undefined;
  const nic = new network.NetworkInterface(
    `${name}-nic`,
    {
      resourceGroupName,
      location,
      tags,
      networkSecurityGroup: { id: nsg.id },
      ipConfigurations: [
        {
          name: "primary",
          primary: true,
          privateIPAllocationMethod: "Dynamic",
          subnet: { id: subnetId },
          publicIPAddress: publicIp ? { id: publicIp.id } : undefined,
        },
      ],
    },
    { ...parent, deleteBeforeReplace: true, replaceOnChanges: NIC_REPLACE_ON_CHANGES },
  );
  return { nic, publicIp };
}

/** Custom data: the user's user data first, the component's cloud-config (the host keys) last; secret. */
function customDataOf(
  userData: VmWithReadySshArgs["customData"],
  hostKeys: Record<KeyType, KeyPairResource> | undefined,
): pulumi.Input<string> | undefined {
  if (!hostKeys)
    return userData !== undefined ? encodeCustomData(vmUserData(userData, undefined)!) : undefined;
  return pulumi
    .secret(
      pulumi.all(
        KEY_TYPES.map((type) => pulumi.all([hostKeys[type].privateKey, hostKeys[type].publicKey])),
      ),
    )
    .apply((pairs) => {
      const keys = Object.fromEntries(
        KEY_TYPES.map((type, i) => [type, { privateKey: pairs[i][0], publicKey: pairs[i][1] }]),
      ) as HostKeys;
      return encodeCustomData(vmUserData(userData, keys)!);
    });
}

/** The VM, on its NIC, with the admin key and the custom data; replaced where Azure cannot change it. */
function virtualMachine(
  place: Placement,
  args: VmWithReadySshArgs,
  parts: {
    nicId: pulumi.Input<string>;
    nicRelease: NicReleaseResource;
    publicKey: pulumi.Input<string>;
    customData: pulumi.Input<string> | undefined;
    frozen: pulumi.CustomResourceOptions;
  },
): Compute.VirtualMachine {
  const { name, parent, location, tags, resourceGroupName } = place;
  const adminUsername = args.adminUsername;
  return new place.azure.compute.VirtualMachine(
    `${name}-vm`,
    {
      resourceGroupName,
      location,
      tags,
      hardwareProfile: { vmSize: args.vmSize ?? DEFAULTS.vmSize },
      networkProfile: { networkInterfaces: [{ id: parts.nicId, primary: true }] },
      osProfile: {
        computerName: args.computerName ?? tidyComputerName(name),
        adminUsername,
        customData: parts.customData,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          provisionVMAgent: true,
          ssh: {
            publicKeys: [
              { path: `/home/${adminUsername}/.ssh/authorized_keys`, keyData: parts.publicKey },
            ],
          },
        },
      },
      storageProfile: {
        imageReference: parseImage(args.image),
        osDisk: {
          createOption: "FromImage",
          deleteOption: "Delete",
          caching: "ReadWrite",
          diskSizeGB: args.osDisk?.sizeGb,
          managedDisk: {
            storageAccountType: args.osDisk?.storageAccountType ?? DEFAULTS.osDiskType,
          },
        },
      },
      // Only when asked: a VM made before this argument existed is sent what it was made with.
      securityProfile:
        args.securityType === "TrustedLaunch"
          ? {
              securityType: "TrustedLaunch",
              uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
            }
          : args.securityType === "Standard"
            ? { securityType: "Standard" }
            : undefined,
      // Managed boot diagnostics: the serial log is there when a boot fails.
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    },
    {
      ...parent,
      dependsOn: [parts.nicRelease],
      deleteBeforeReplace: true,
      replaceOnChanges: VM_REPLACE_ON_CHANGES,
      ...parts.frozen,
    },
  );
}

/** The component's `readiness` arguments as SshReadiness inputs, with the component's defaults from the spec. */
function readinessArgs(readiness: VmReadinessArgs): Partial<SshReadinessArgs> {
  return Object.fromEntries(
    COMPONENT_READINESS_OPTIONS.map((spec) => [
      spec.name,
      readiness[spec.name as keyof VmReadinessArgs] ?? spec.component?.default,
    ]),
  );
}
