import type { SourceLocation } from "../diagnostic.js";

/**
 * Where the text being expanded came from, so an error can point at a column.
 * `loc` is the location of the text's first character; when the text spans
 * several lines (a continued line, a variable's value) the column is that of
 * the start.
 */
export interface TextOrigin {
  readonly loc: SourceLocation | undefined;
  /** True when offsets in the text map one-to-one to columns of loc's line. */
  readonly exact: boolean;
}
