/**
 * The one escaping function of the HTML output, and a tagged template that
 * applies it to every interpolated value. File paths, the command, warnings:
 * everything that came from the traced program is text, never markup.
 */

/** Markup we wrote ourselves; the only thing `html` does not escape. */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/**
 * Text → HTML that shows exactly that text, in element content and in quoted
 * attributes: & < > " ' become numeric character references (`&#60;`, ...).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Value = SafeHtml | string | number | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined) return "";
  if (v instanceof SafeHtml) return v.markup;
  if (Array.isArray(v)) return v.map(render).join("");
  return escapeHtml(String(v));
}

/** `html\`<td>${path}</td>\``: markup with every value escaped (arrays joined, SafeHtml kept). */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Markup that is ours (a script we wrote, the Plotly bundle): kept as is. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
