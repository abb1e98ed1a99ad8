// Validates Kubernetes manifests (multi-document YAML on stdin, e.g. `kubectl kustomize k8s/overlays/cpu`) against
// the Kubernetes API's schemas with kubernetes-models, offline. Every object must be of a known apiVersion and kind
// and pass its schema; prints one line per object that fails and exits 1, or a summary line and exits 0.
//   kubectl kustomize k8s/overlays/cpu | node tools/k8s-validate/validate.mjs cpu
import { parseAllDocuments } from "yaml";

const label = process.argv[2] ?? "stdin";
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const docs = parseAllDocuments(Buffer.concat(chunks).toString("utf8"));

let failures = 0, count = 0;
for (const doc of docs) {
  if (doc.errors.length > 0) {
    console.error(`${label}: YAML error: ${doc.errors[0].message}`);
    failures++;
    continue;
  }
  const object = doc.toJS();
  if (object == null) continue;
  count++;
  const { apiVersion, kind } = object;
  // kustomize's secretGenerator wraps long base64 values over several lines; the API server's base64 decoder skips
  // line breaks, the schema's "byte" format does not, so they are joined before the check.
  if (kind === "Secret" && object.data)
    for (const key of Object.keys(object.data)) object.data[key] = String(object.data[key]).replace(/\s+/g, "");
  const name = `${label}: ${kind ?? "?"} ${object.metadata?.name ?? "?"}`;
  let model;
  try {
    const module = await import(`kubernetes-models/${apiVersion}`);
    model = module[kind];
  } catch {
    model = undefined;
  }
  if (model === undefined) {
    console.error(`${name}: unknown apiVersion/kind ${apiVersion}/${kind}`);
    failures++;
    continue;
  }
  try {
    new model(object).validate();
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    failures++;
  }
}
if (count === 0) {
  console.error(`${label}: no objects to validate`);
  process.exit(1);
}
if (failures > 0) {
  console.error(`${label}: ${failures} of ${count} objects invalid`);
  process.exit(1);
}
console.log(`${label}: ${count} objects valid against the Kubernetes schemas`);
