// Lint rules: typescript-eslint's recommended set over the TypeScript sources; compiled output is ignored.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".ci/node/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["bin/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", process: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
