import * as assert from "node:assert/strict";
import { endOfLifeReport, formatEndOfLifeReport, PinnedLine, pinnedLines } from "../render/endOfLife";
import { defaultKubernetesMinor, kubernetesMinors, retiredKubernetesMinors, supportedKubernetesMinors, testedKubernetesRelease } from "../versions";

// Fixed days only: no assertion here depends on the day the tests run.
const lines: PinnedLine[] = [
    { line: "A", date: "2027-02-28", source: "https://a" },
    { line: "B", source: "https://b", note: "no policy" },
];

describe("end-of-life report (npm run versions:eol)", () => {
    it("says past from the day after the last day of support, near within N days, and ok before", () => {
        const state = (day: string, near = 60) => endOfLifeReport(new Date(`${day}T12:00:00Z`), near, lines)[0];
        assert.deepEqual([state("2027-03-01").state, state("2027-03-01").daysLeft], ["past", -1]);
        assert.deepEqual([state("2027-02-28").state, state("2027-02-28").daysLeft], ["near", 0]);
        assert.deepEqual([state("2026-12-30").state, state("2026-12-30").daysLeft], ["near", 60]);
        assert.deepEqual([state("2026-12-29").state, state("2026-12-29").daysLeft], ["ok", 61]);
        assert.equal(state("2026-12-29", 61).state, "near");
        assert.equal(endOfLifeReport(new Date("2030-01-01"), 60, lines)[1].state, "no date");
    });

    it("prints each line with its source and a summary naming the lines to move", () => {
        const day = new Date("2027-01-15T00:00:00Z");
        const text = formatEndOfLifeReport(endOfLifeReport(day, 60, lines), day, 60);
        assert.match(text, /^A {2}NEAR: ends 2027-02-28 \(in 44 days\)\n {3}source: https:\/\/a\n/);
        assert.match(text, /\nB {2}no published date; no policy\n {3}source: https:\/\/b\n/);
        assert.match(text, /1 pinned line\(s\) past or within 60 days of end of life on 2027-01-15: A\./);
        const calm = new Date("2026-01-01T00:00:00Z");
        assert.match(formatEndOfLifeReport(endOfLifeReport(calm, 60, lines), calm, 60), /No pinned line is past its end of life or within 60 days of it on 2026-01-01\.\n$/);
    });

    it("refuses a date that is not YYYY-MM-DD, naming the line", () => {
        assert.throws(() => endOfLifeReport(new Date(), 60, [{ line: "X", date: "Feb 2027", source: "s" }]), /end of life of X is "Feb 2027", expected a date as YYYY-MM-DD/);
    });

    it("covers every accepted Kubernetes minor and the Spark line, each with a date and a source", () => {
        const pinned = pinnedLines();
        for (const m of supportedKubernetesMinors) {
            const l = pinned.find((p) => p.line === `Kubernetes ${m}`);
            assert.ok(l?.date && /^https:\/\//.test(l.source), m);
        }
        assert.ok(pinned.find((p) => p.line.startsWith("Spark 4.1"))?.date);
        // Every date parses (the report throws otherwise).
        endOfLifeReport(new Date("2026-01-01"), 60, pinned);
    });

    it("accepts minors that outlive every retired one, defaulting to the newest, built at a patch of it", () => {
        const newestRetired = Object.values(retiredKubernetesMinors).sort().at(-1)!;
        for (const m of supportedKubernetesMinors) assert.ok(kubernetesMinors[m].date > newestRetired, m);
        assert.equal(defaultKubernetesMinor, supportedKubernetesMinors.at(-1));
        assert.ok(testedKubernetesRelease.startsWith(`v${defaultKubernetesMinor}.`));
        // Retired and accepted minors are consecutive: the upgrade path in the error has no gap.
        const all = [...Object.keys(retiredKubernetesMinors), ...supportedKubernetesMinors].map((m) => Number(m.split(".")[1]));
        assert.deepEqual(all, all.map((_, i) => all[0] + i));
    });
});
