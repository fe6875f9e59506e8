// Wires the plain rules of rules.ts into @pulumi/policy policies. Kept apart from index.ts,
// whose PolicyPack starts the analyzer server, so tests can drive these with engine-shaped args.
import {
    Policies,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
    UnknownValueError,
} from "@pulumi/policy";
import { PlainResource, RuleConfig, UNKNOWN, defaultRuleConfig, resourceRules, stackRules } from "./rules";

/**
 * Copies engine props into plain values. The engine's props throw UnknownValueError on reading a
 * value that preview cannot know; here that value becomes UNKNOWN, so one unknown field skips only
 * the checks that read it rather than the whole policy.
 */
export function toPlain(value: unknown): unknown {
    if (value === null || typeof value !== "object") {
        return value;
    }
    if (Array.isArray(value)) {
        return Array.from({ length: value.length }, (_, i) => readField(value, i));
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
        out[key] = readField(value, key);
    }
    return out;
}

function readField(container: any, key: string | number): unknown {
    try {
        return toPlain(container[key]);
    } catch (e) {
        if (e instanceof UnknownValueError) {
            return UNKNOWN;
        }
        throw e;
    }
}

/** Reads the policy's config (`--policy-pack-config`), defaults filled in. */
export function ruleConfig(raw: { allowOpenIngress?: unknown } | undefined): RuleConfig {
    return { ...defaultRuleConfig, ...(raw?.allowOpenIngress === true ? { allowOpenIngress: true } : {}) };
}

function plainResource(r: PolicyResource): PlainResource {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) {
        propertyDependencies[key] = deps.map((d) => d.urn);
    }
    return { type: r.type, name: r.name, urn: r.urn, props: toPlain(r.props), propertyDependencies };
}

const resourcePolicies: ResourceValidationPolicy[] = resourceRules.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    ...(rule.usesConfig
        ? {
              configSchema: {
                  properties: {
                      allowOpenIngress: {
                          type: "boolean",
                          default: false,
                          description: "Same choice as the stack's spark-on-k8s:allowOpenIngress.",
                      },
                  },
              },
          }
        : {}),
    validateResource: (args, reportViolation) => {
        if (!rule.types.includes(args.type)) {
            return;
        }
        const config = ruleConfig(args.getConfig<{ allowOpenIngress?: boolean }>());
        for (const message of rule.check(args.type, toPlain(args.props), config)) {
            reportViolation(message);
        }
    },
}));

const stackPolicies: StackValidationPolicy[] = stackRules.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const v of rule.check(args.resources.map(plainResource))) {
            reportViolation(v.message, v.resource.urn);
        }
    },
}));

export const policies: Policies = [...resourcePolicies, ...stackPolicies];
