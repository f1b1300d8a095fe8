// Lint rules for the whole repository; run with `npm run lint` (turbo runs
// each package's `eslint`).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/dist-test/**", "**/node_modules/**", "recipes/**", "bench/out/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  {
    // Plain JavaScript entry points run on Node.
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // flow ui's page runs in the browser.
    files: ["packages/cli/ui/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: Object.fromEntries(
        ["window", "document", "fetch", "URL", "URLSearchParams", "Blob", "TextDecoder", "DOMParser", "EventSource", "Node", "setTimeout", "clearTimeout"].map((g) => [g, "readonly"]),
      ),
    },
  },
  {
    // Only the CLI's renderer and scripts may print; the core emits events.
    files: ["packages/cli/**", "test/**", "bench/**", "scripts/**"],
    rules: { "no-console": "off" },
  },
);
