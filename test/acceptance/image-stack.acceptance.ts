// Live acceptance test of the image stack, for people with the Pulumi CLI and an Azure subscription (`npm run
// test:acceptance`): builds an image, changes the provisioning script, builds again, and checks that the
// second build came from a new VM with new host keys, that both images exist, and that the unchanged third
// `pulumi up` changes nothing; then builds from a Trusted Launch VM into a gallery, in one `pulumi up`, and
// checks the version's definition is a Trusted Launch one. Then destroys everything. Not part of `npm test`:
// CI has no Azure.
import { execFileSync } from "node:child_process";
import type { Stack } from "@pulumi/pulumi/automation";
import { withThrowawayStack } from "./throwaway-stack";

async function build(stack: Stack): Promise<{ buildId: string; imageId: string; hostKey: string }> {
  const { outputs } = await stack.up({ onOutput: (line) => process.stdout.write(line) });
  return {
    buildId: outputs.buildId.value as string,
    imageId: outputs.imageId.value as string,
    hostKey: outputs.hostKey.value as string,
  };
}

void withThrowawayStack("image stack", "image", async (stack) => {
  await stack.setConfig("provisionScript", {
    value: "echo first build | sudo tee /etc/build-note",
  });
  const first = await build(stack);
  await stack.setConfig("provisionScript", {
    value: "echo second build | sudo tee /etc/build-note",
  });
  const second = await build(stack);
  if (second.buildId === first.buildId) throw new Error("a new script did not make a new build");
  if (second.imageId === first.imageId) throw new Error("the second build made no new image");
  if (second.hostKey === first.hostKey)
    throw new Error("the second build VM has the first one's host key");
  const group = second.imageId.split("/")[4];
  const images = execFileSync(
    "az",
    ["image", "list", "--resource-group", group, "--query", "[].id", "-o", "tsv"],
    { encoding: "utf8" },
  );
  for (const id of [first.imageId, second.imageId]) {
    if (!images.toLowerCase().includes(id.toLowerCase())) throw new Error(`image ${id} is gone`);
  }
  const preview = await stack.preview();
  const changes = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && n > 0);
  if (changes.length > 0)
    throw new Error(`an unchanged build still changes: ${JSON.stringify(changes)}`);

  // Trusted Launch: captured into the gallery only, under a definition of its own.
  await stack.setConfig("securityType", { value: "TrustedLaunch" });
  await stack.setConfig("gallery.name", { value: `acceptance${Date.now().toString(36)}` }, true);
  await stack.setConfig("gallery.imageName", { value: "web" }, true);
  const { outputs } = await stack.up({ onOutput: (line) => process.stdout.write(line) });
  const versionId = outputs.galleryImageVersionId.value as string;
  if (!versionId) throw new Error("the Trusted Launch build made no gallery image version");
  if (outputs.imageId.value) throw new Error("a Trusted Launch build made a managed image");
  const definitionId = versionId.split("/versions/")[0];
  const features = execFileSync(
    "az",
    ["sig", "image-definition", "show", "--ids", definitionId, "--query", "features", "-o", "json"],
    { encoding: "utf8" },
  );
  if (!/"TrustedLaunch"/.test(features))
    throw new Error(`the definition of the Trusted Launch build says ${features}`);
  return `build ${first.buildId} then ${second.buildId}: two images, new host keys, nothing left to change; a Trusted Launch build in the gallery (${versionId.split("/").pop()})`;
});
