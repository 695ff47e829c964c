// Opens an HTML report from `engage` the way a reader does, in headless Chromium, and prints
// what the tests check, as JSON:
//   node check_report.mjs REPORT.html CHART.png
// - parseErrors: the HTML parser's errors (parse5, the WHATWG parsing algorithm), expected none;
// - console, pageErrors: the page's console errors and warnings and its uncaught errors;
// - requests: every URL the page asked for besides the report itself (each is refused);
// - scripts: how many <script> elements the page has;
// - title, sections: each section's title, description, SQL, charts (kind, size, marks drawn
//   with a size) and table (headers, cells with their text and whether they show NULL);
// - chart: the first chart's screenshot (written to CHART.png): size, distinct colours and
//   the share of pixels that are not the background.
// Run from a directory whose node_modules has playwright-core and parse5 (ES modules resolve
// from the script's own place), with Chromium at CHROMIUM, else /usr/bin/chromium.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'parse5';
import { chromium } from 'playwright-core';

const [reportPath, chartPath] = process.argv.slice(2);
const html = readFileSync(reportPath, 'utf8');
const parseErrors = [];
parse(html, {
  onParseError: (error) =>
    parseErrors.push(`${error.code} at line ${error.startLine}, column ${error.startCol}`),
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // As root in a container, without a GPU, and with none of Chromium's own connections.
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  // Twice the pixels, as on a laptop's screen: the screenshots kept in docs/ stay sharp.
  const context = await browser.newContext({
    viewport: { width: 1100, height: 900 },
    deviceScaleFactor: 2,
  });
  const reportUrl = pathToFileURL(resolve(reportPath)).href;
  const requests = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === reportUrl) {
      return route.continue();
    }
    requests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const consoleMessages = [];
  const pageErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      consoleMessages.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(reportUrl, { waitUntil: 'load' });

  const structure = await page.evaluate(() => {
    const drawn = (element) => {
      const box = element.getBoundingClientRect();
      return box.width > 0 && box.height > 0;
    };
    return {
      title: document.querySelector('h1')?.textContent ?? null,
      scripts: document.scripts.length,
      sections: [...document.querySelectorAll('section.result')].map((section) => ({
        id: section.id,
        title: section.querySelector('h2')?.textContent ?? null,
        description: section.querySelector('.description')?.textContent ?? null,
        sql: section.querySelector('details pre')?.textContent ?? null,
        charts: [...section.querySelectorAll('figure.chart')].map((figure) => {
          const svg = figure.querySelector('svg');
          const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
          return {
            kind: figure.dataset.kind,
            width: box.width,
            height: box.height,
            marks: svg
              ? [...svg.querySelectorAll('rect, polyline, path, circle, line')].filter(drawn).length
              : 0,
            legend: figure.querySelector('figcaption')?.textContent ?? null,
          };
        }),
        headers: [...section.querySelectorAll('thead th')].map((th) => th.textContent),
        rows: [...section.querySelectorAll('tbody tr')].map((tr) =>
          [...tr.children].map((td) => ({
            text: td.textContent,
            null: td.classList.contains('null'),
          })),
        ),
        notes: [...section.querySelectorAll('.note')].map((note) => note.textContent),
      })),
    };
  });

  let chart = null;
  const firstChart = page.locator('figure.chart svg').first();
  if ((await firstChart.count()) > 0) {
    const png = await firstChart.screenshot({ path: chartPath });
    // The screenshot's own pixels, decoded on a blank page of their own.
    const canvasPage = await context.newPage();
    chart = await canvasPage.evaluate(async (base64) => {
      const image = new Image();
      image.src = `data:image/png;base64,${base64}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context2d = canvas.getContext('2d');
      context2d.drawImage(image, 0, 0);
      const pixels = context2d.getImageData(0, 0, image.width, image.height).data;
      const colours = new Set();
      let notBackground = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
        colours.add((r << 16) | (g << 8) | b);
        if (r < 245 || g < 245 || b < 245) {
          notBackground += 1;
        }
      }
      return {
        width: image.width,
        height: image.height,
        colours: colours.size,
        inkShare: notBackground / (pixels.length / 4),
      };
    }, png.toString('base64'));
  }

  console.log(
    JSON.stringify({
      parseErrors,
      console: consoleMessages,
      pageErrors,
      requests,
      ...structure,
      chart,
    }),
  );
} finally {
  await browser.close();
}
