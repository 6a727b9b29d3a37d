/**
 * Which output of this kernel carries the Plotly bundle (1.2 MB): the first
 * cell that draws charts, and after that only a run of that same cell again
 * (its new output replaces the one that carried Plotly, so it must carry it
 * in turn, or the saved notebook would have none). Every other chart output
 * waits for Plotly on the page (src/render/plotly.ts), so a notebook holds
 * one copy per kernel session, however many cells draw charts.
 */
let carrier: string | null = null;

/** Whether the charts of the cell with this source carry Plotly (and it becomes the carrier). */
export function carriesPlotly(cellSource: string): boolean {
  if (carrier !== null && carrier !== cellSource) return false;
  carrier = cellSource;
  return true;
}
