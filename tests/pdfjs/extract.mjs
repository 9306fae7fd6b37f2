// Print the text pdf.js (pdfjs-dist) extracts from each page of a PDF, as Firefox's viewer
// and pdf.js-based apps join it: items in content order, a newline where pdf.js marks an end
// of line (hasEOL), pages separated by a form feed.
import { readFile } from "node:fs/promises";

// Text extraction draws nothing: pdf.js only needs these names to exist at load time, so
// stand-ins spare the tests its optional native canvas package.
for (const name of ["DOMMatrix", "ImageData", "Path2D"]) {
  if (!(name in globalThis)) globalThis[name] = class {};
}
const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");

const data = new Uint8Array(await readFile(process.argv[2]));
const doc = await getDocument({ data, verbosity: 0, useSystemFonts: false }).promise;
const pages = [];
for (let n = 1; n <= doc.numPages; n++) {
  const page = await doc.getPage(n);
  const content = await page.getTextContent();
  let out = "";
  for (const item of content.items) {
    if (!("str" in item)) continue;
    out += item.str;
    if (item.hasEOL) out += "\n";
  }
  pages.push(out);
}
process.stdout.write(pages.join("\f"));
