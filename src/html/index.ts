/**
 * The HTML report, in pieces: `reportPage` for the self-contained page,
 * the sections and `chartsHtml` for other hosts (a notebook output), and
 * the escaping they all go through.
 */
export { reportPage, writeReportPage, chartsHtml, plotlyScript } from "./page";
export { summaryHtml, findingsHtml, findingsListHtml, filesHtml, metadataHtml, warningsHtml, methodHtml } from "./sections";
export { escapeHtml, html, trusted, SafeHtml } from "./escape";
