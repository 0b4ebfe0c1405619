// Render the formulas that pymdownx.arithmatex (generic mode) wrapped in \( \) and \[ \].
// KaTeX is vendored under assets/katex, so formulas render offline too.
// document$ is Material's observable: it fires on every page load, including instant navigation.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  });
});
