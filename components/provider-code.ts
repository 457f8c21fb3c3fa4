// Whether a dynamic resource's stored provider code differs from the program's. The provider host keeps
// running the code in the state until an update stores new code (pulumi/pulumi#16826): a diff that reports
// "no changes" would leave a stack on the old code for refresh and destroy forever.

/** The property where Pulumi keeps a dynamic resource's serialized provider. */
const PROVIDER_KEY = "__provider";
/** What `pulumi preview` sends for a value not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when both sides carry provider code and it differs: an update (never a replacement) stores it. */
export function codeChanged(olds: object, news: object): boolean {
  const before = (olds as Record<string, unknown>)[PROVIDER_KEY];
  const after = (news as Record<string, unknown>)[PROVIDER_KEY];
  return (
    typeof before === "string" && typeof after === "string" && after !== UNKNOWN && before !== after
  );
}
