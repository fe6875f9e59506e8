/**
 * The pinned release lines and their upstream end of life (versions.ts), and which of them are
 * past it or near it on a given day. `npm run versions:eol` prints this for today; `npm run
 * render` writes the lines and dates to versions.json (`endOfLife`), and the README's version
 * table shows the dates.
 */
import { EndOfLife, flannel, jupyter, kubernetesMinors, spark, sparkOperator, supportedKubernetesMinors } from "../versions";

export interface PinnedLine extends EndOfLife {
    /** What is pinned, as a maintainer would name it. */
    line: string;
}

export type EndOfLifeState = "past" | "near" | "ok" | "no date";

export interface EndOfLifeRow extends PinnedLine {
    state: EndOfLifeState;
    /** Whole days from the given day to the end of life (negative once past it). */
    daysLeft?: number;
}

/** Every pinned line with its end of life, in the order the README lists them. */
export function pinnedLines(): PinnedLine[] {
    return [
        ...supportedKubernetesMinors.map((m) => ({ line: `Kubernetes ${m}`, ...kubernetesMinors[m] })),
        { line: `Spark ${spark.version.split(".").slice(0, 2).join(".")} (pinned ${spark.version})`, ...spark.endOfLife },
        { line: `Python ${spark.python} (of the Spark image)`, ...spark.pythonEndOfLife },
        { line: `spark-operator chart ${sparkOperator.version}`, ...sparkOperator.endOfLife },
        { line: `JupyterLab ${jupyter.jupyterlab}`, ...jupyter.endOfLife },
        { line: `Flannel ${flannel.version}`, ...flannel.endOfLife },
    ];
}

const dayMs = 24 * 60 * 60 * 1000;

/** Each line's state on `today`: past its end of life, within `nearDays` of it, or neither. */
export function endOfLifeReport(today: Date, nearDays = 60, lines: PinnedLine[] = pinnedLines()): EndOfLifeRow[] {
    const day = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
    return lines.map((l) => {
        if (l.date === undefined) return { ...l, state: "no date" as const };
        if (!/^\d{4}-\d{2}-\d{2}$/.test(l.date) || Number.isNaN(Date.parse(l.date))) {
            throw new Error(`versions.ts: the end of life of ${l.line} is "${l.date}", expected a date as YYYY-MM-DD`);
        }
        // The date is the last day of support: it is past from the day after.
        const daysLeft = Math.round((Date.parse(l.date) - day) / dayMs);
        const state: EndOfLifeState = daysLeft < 0 ? "past" : daysLeft <= nearDays ? "near" : "ok";
        return { ...l, state, daysLeft };
    });
}

/** The report as text: one line per pinned line, then what to do. */
export function formatEndOfLifeReport(rows: EndOfLifeRow[], today: Date, nearDays = 60): string {
    const when = (r: EndOfLifeRow) =>
        r.state === "no date" ? "no published date"
            : r.state === "past" ? `PAST: ended ${r.date} (${-r.daysLeft!} days ago)`
                : r.state === "near" ? `NEAR: ends ${r.date} (in ${r.daysLeft} days)`
                    : `ends ${r.date} (in ${r.daysLeft} days)`;
    const width = Math.max(...rows.map((r) => r.line.length));
    const lines = rows.map((r) => `${r.line.padEnd(width)}  ${when(r)}${r.note ? `; ${r.note}` : ""}\n${" ".repeat(width + 2)}source: ${r.source}`);
    const flagged = rows.filter((r) => r.state === "past" || r.state === "near");
    const summary = flagged.length === 0
        ? `No pinned line is past its end of life or within ${nearDays} days of it on ${today.toISOString().slice(0, 10)}.`
        : `${flagged.length} pinned line(s) past or within ${nearDays} days of end of life on ${today.toISOString().slice(0, 10)}: ${flagged.map((r) => r.line).join(", ")}. Move each to a maintained release in versions.ts where one exists (the notes say where none does), then run npm run test:all.`;
    return `${lines.join("\n")}\n\n${summary}\n`;
}
