import * as fs from "fs";
import { parse } from "yaml";
import { configNamespace, RawConfig, StackConfig, validateConfig } from "../config";

/**
 * Reads `Pulumi.<stack>.yaml` without the Pulumi engine (for the offline render) and
 * validates it like the program does.
 */
export function readStackConfig(file: string): StackConfig {
    const doc = parse(fs.readFileSync(file, "utf8")) ?? {};
    const values: Record<string, unknown> = doc.config ?? {};
    const raw: RawConfig = { region: values["aws:region"] };
    for (const [k, v] of Object.entries(values)) {
        if (k.startsWith(`${configNamespace}:`)) {
            (raw as Record<string, unknown>)[k.slice(configNamespace.length + 1)] = v;
        }
    }
    return validateConfig(raw);
}
