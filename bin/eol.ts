/**
 * npm run versions:eol [-- --date YYYY-MM-DD] [-- --days N]: which pinned release lines are past
 * their upstream end of life, or within N days (default 60) of it. Exits 1 when any is.
 */
import { endOfLifeReport, formatEndOfLifeReport } from "../render/endOfLife";

function arg(name: string): string | undefined {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
}

const dateArg = arg("--date");
const today = dateArg === undefined ? new Date() : new Date(`${dateArg}T00:00:00Z`);
if (Number.isNaN(today.getTime())) {
    console.error(`versions:eol: --date is "${dateArg}", expected YYYY-MM-DD`);
    process.exit(2);
}
const days = Number(arg("--days") ?? "60");
if (!Number.isInteger(days) || days < 0) {
    console.error(`versions:eol: --days is "${arg("--days")}", expected a whole number of days`);
    process.exit(2);
}
const rows = endOfLifeReport(today, days);
process.stdout.write(formatEndOfLifeReport(rows, today, days));
process.exit(rows.some((r) => r.state === "past" || r.state === "near") ? 1 : 0);
