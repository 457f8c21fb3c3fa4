// VmWithReadySsh's custom data and pins, made under Pulumi's mocks exactly as the component registers them: what
// a VM gets, for the tests that run it through cloud-init's code or boot it.
import assert from "node:assert/strict";
import { VmWithReadySsh } from "../../components/azure";
import { isSecret, value } from "./pulumi-mocks";
import { mockStack, type StackRun } from "./stack-mocks";

export interface ComponentData {
  /** The VM's custom data, decoded: what cloud-init gets as user data. */
  userData: string;
  /** The readiness check's pins: Ed25519, ECDSA, RSA. */
  pins: string[];
  run: StackRun;
}

/** VmWithReadySsh's custom data and pins for a VM whose admin logs in with `privateKey`, under Pulumi's mocks. */
export async function componentData(
  name: string,
  privateKey: string,
  customData?: string,
  adminUsername = "azureuser",
): Promise<ComponentData> {
  const stack = await mockStack("test", {});
  const vm = new VmWithReadySsh(name, {
    location: "westeurope",
    adminUsername,
    ssh: { privateKey },
    customData,
  });
  await value(vm.connection);
  const os = stack.byName(`${name}-vm`).inputs.osProfile;
  assert.ok(isSecret(os));
  const encoded = (os.value as { customData: string }).customData;
  return {
    userData: Buffer.from(encoded, "base64").toString("utf8"),
    pins: stack.byName(`${name}-ready`).inputs.hostKeyPin as string[],
    run: stack,
  };
}
