// Lint rules: typescript-eslint's recommended set, Pulumi's rules against Outputs in template strings (they
// need type information), and declare-before-use where Pulumi serializes the code.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".ci/node/", "compat/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
    },
  },
  {
    // Pulumi's closure serializer (the SshReadiness provider is serialized with the engine) reads a variable
    // used before its declaration as a free variable and fails; declare first.
    files: ["components/**/*.ts"],
    rules: {
      "@typescript-eslint/no-use-before-define": [
        "error",
        { functions: false, classes: false, variables: true, allowNamedExports: true },
      ],
    },
  },
  {
    files: ["bin/*.js", "tools/*.js", "provider/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
