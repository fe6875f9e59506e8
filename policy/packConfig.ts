// Derives the pack's --policy-pack-config from a stack's Pulumi.<stack>.yaml, so the policy's
// opt-in and the program's `spark-on-k8s:allowOpenIngress` are one choice, made in one place.
//   ts-node packConfig.ts ../Pulumi.dev.yaml > ../build/policy-pack-config.json
import * as fs from "fs";
import { parse } from "yaml";

export const OPEN_INGRESS_KEY = "spark-on-k8s:allowOpenIngress";

export type PackConfig = Record<string, { allowOpenIngress: boolean }>;

/** The pack config for a stack file's text; a value other than true/false is an error. */
export function packConfigFromStackYaml(text: string): PackConfig {
    const doc = parse(text) ?? {};
    const value = doc?.config?.[OPEN_INGRESS_KEY];
    let allowOpenIngress: boolean;
    if (value === undefined || value === null || value === false || value === "false") {
        allowOpenIngress = false;
    } else if (value === true || value === "true") {
        allowOpenIngress = true;
    } else {
        throw new Error(`${OPEN_INGRESS_KEY} must be true or false, got ${JSON.stringify(value)}`);
    }
    return { "no-open-admin-ingress": { allowOpenIngress } };
}

if (require.main === module) {
    const file = process.argv[2];
    if (!file) {
        console.error("usage: ts-node packConfig.ts <Pulumi.<stack>.yaml>");
        process.exit(2);
    }
    try {
        process.stdout.write(JSON.stringify(packConfigFromStackYaml(fs.readFileSync(file, "utf8")), null, 2) + "\n");
    } catch (e) {
        console.error(`packConfig: ${file}: ${(e as Error).message}`);
        process.exit(1);
    }
}
