/** A row of already-formatted cells, in column order. */
export type Row = readonly string[];

/**
 * A plain-text table with a header rule, first column left-aligned and the rest right-aligned
 * (they hold figures), so that the benchmark output reads the same in a terminal and a report.
 */
export function formatTable(header: Row, rows: readonly Row[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: Row) =>
    widths
      .map((width, column) => {
        const cell = row[column] ?? '';
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join(' | ');
  const rule = widths.map((width) => '-'.repeat(width)).join('-|-');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A number with a fixed count of decimals and thousands separators: `12,345.6`. */
export function figure(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** A ratio as `12.3x`. */
export function ratio(numerator: number, denominator: number): string {
  if (!(denominator > 0)) return 'n/a';
  return `${figure(numerator / denominator, numerator / denominator >= 100 ? 0 : 1)}x`;
}
