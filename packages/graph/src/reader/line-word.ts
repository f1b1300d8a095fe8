import type { SourceLocation } from "../diagnostic.js";
import type { Word } from "./flowfile-model.js";

/**
 * A word of a rule line: its text, the location of its line (or of the rule,
 * for a word that came from a variable) and its column. The location with
 * that column is made only when something asks for it, which is a
 * diagnostic: at 10,000 rules a location object per prerequisite was 110,000
 * objects kept for the whole run, and ~60-80 ms of a fresh process's reading
 * and garbage collection.
 */
export class LineWord implements Word {
  constructor(
    readonly text: string,
    private readonly at: SourceLocation,
    private readonly col: number,
  ) {}

  get loc(): SourceLocation {
    const at = this.at;
    return this.col === at.col ? at : { file: at.file, line: at.line, col: this.col, lineText: at.lineText };
  }
}
