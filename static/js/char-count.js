// Live character counts. A textarea with data-char-count="<id>" updates the element
// [data-char-count-value] inside the element with that id as it is typed into, counting
// characters (not UTF-16 units) with line breaks as one, as the server counts them.
// Delegated from the document, so textareas swapped in by htmx count too; without
// JavaScript the count shown is the one the server rendered.
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLTextAreaElement) || !field.dataset.charCount) return;
  const counter = document.getElementById(field.dataset.charCount);
  const value = counter && counter.querySelector("[data-char-count-value]");
  if (value) value.textContent = [...field.value.replace(/\r\n?/g, "\n").trim()].length.toLocaleString("en");
});
