// The search page's script: asks the Pagefind index built with the site
// (its own JavaScript API, loaded from the site itself) and shows the
// results. Every text comes from the page, so the theme's string files stay
// the only place for UI text. Result text is inserted as text, never as
// HTML: only Pagefind's <mark> highlights become elements.

const form = document.querySelector("form[data-search-bundle]");

if (form) {
  start(form).catch((error) => {
    console.error(error);
    status(form.dataset.textFailed);
  });
}

async function start(form) {
  const input = form.querySelector("input[name=q]");
  const filterBox = form.querySelector(".search-filter");
  const results = document.querySelector(".search-results");
  const pagefind = await import(form.dataset.searchBundle + "pagefind.js");
  await pagefind.options({ excerptLength: 24 });
  form.hidden = false;

  const programmes = await pagefind.filters();
  const values = Object.keys(programmes.program || {}).sort((a, b) => a.localeCompare(b));
  if (values.length > 0) {
    const list = filterBox.querySelector("ul");
    values.forEach((value, index) => {
      const item = document.createElement("li");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = "program-" + index;
      box.value = value;
      const label = document.createElement("label");
      label.htmlFor = box.id;
      label.textContent = value;
      item.append(box, label);
      list.append(item);
    });
    filterBox.hidden = false;
  }

  const query = new URLSearchParams(location.search).get("q") || "";
  input.value = query;
  let latest = 0;

  async function run() {
    const term = input.value.trim();
    const chosen = [...filterBox.querySelectorAll("input:checked")].map((box) => box.value);
    keepQueryInLinks(term);
    const url = new URL(location.href);
    if (term) url.searchParams.set("q", term);
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    if (!term && chosen.length === 0) {
      results.replaceChildren();
      status("");
      return;
    }
    const ticket = ++latest;
    status(form.dataset.textSearching);
    const filters = chosen.length ? { program: { any: chosen } } : {};
    const search = await pagefind.search(term || null, { filters });
    const found = await Promise.all(search.results.slice(0, 30).map((r) => r.data()));
    if (ticket !== latest) return;
    results.replaceChildren(...found.map(resultItem));
    const text = found.length ? form.dataset.textResults : form.dataset.textNoResults;
    const count = new Intl.NumberFormat(document.documentElement.lang).format(search.results.length);
    status(text.replace("{count}", count).replace("{query}", term));
  }

  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  filterBox.addEventListener("change", run);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  if (query) run();
}

function resultItem(data) {
  const item = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = (data.meta && data.meta.title) || data.url;
  heading.append(link);
  const excerpt = document.createElement("p");
  excerpt.append(...highlighted(data.excerpt || ""));
  item.append(heading, excerpt);
  return item;
}

// Pagefind's excerpt is page text with <mark> around the matches; the text
// itself may hold any character, so it is split, not parsed.
function highlighted(excerpt) {
  const nodes = [];
  excerpt.split(/(<mark>.*?<\/mark>)/).forEach((part) => {
    const marked = part.match(/^<mark>(.*)<\/mark>$/);
    if (marked) {
      const mark = document.createElement("mark");
      mark.textContent = marked[1];
      nodes.push(mark);
    } else if (part) {
      nodes.push(document.createTextNode(part));
    }
  });
  return nodes;
}

function keepQueryInLinks(term) {
  document.querySelectorAll("a[data-keeps-query]").forEach((link) => {
    const url = new URL(link.href);
    if (term) url.searchParams.set("q", term);
    else url.searchParams.delete("q");
    link.href = url;
  });
}

function status(text) {
  document.querySelector(".search-status").textContent = text;
}
