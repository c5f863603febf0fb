"""What the page carries besides its components: the style and the script.

The script does what Gradio's components do not: each [n] in an answer becomes a link that
brings card n into view (in the sources panel, which scrolls by itself); an author on a card
asks for that author's papers; the chat opens each new answer at its first line instead of
following its end; a Browse picker's text is selected on focus, so typing replaces the last
pick; and Gradio's own untranslated labels follow the browser's language.
"""

from __future__ import annotations

import json

from rag.app.labels import label

CSS = """
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  margin: 0 0 10px 0; scroll-margin-top: 8px; }
.src-card:target, .src-card.flash { outline: 3px solid var(--color-accent); outline-offset: -3px; }
.src-card h4 { margin: 0 0 4px 0; font-size: 1rem; }
.src-meta { font-size: .85rem; opacity: .8; margin-bottom: 6px; overflow-wrap: anywhere; }
.src-tag { display: inline-block; border-radius: 999px; padding: 0 8px; margin: 2px 4px 2px 0;
  font-size: .8rem; background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.src-num { font-weight: 700; margin-right: 6px; }
.src-card p { margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.src-label { font-weight: 600; font-size: .8rem; text-transform: uppercase; opacity: .7; }
button.author { all: unset; cursor: pointer; text-decoration: underline dotted; }
button.author:hover, button.author:focus-visible { color: var(--color-accent); }
a.cite { text-decoration: none; font-weight: 700; color: var(--color-accent); }
.notice { color: var(--error-text-color, #b42318); }
.pane-head { margin: 12px 0 6px 0; font-size: 1rem; }
.sources-pane { max-height: calc(100vh - 160px); overflow-y: auto; overscroll-behavior: contain;
  padding-right: 4px; }
.brief-entry { margin: 0 0 6px 0; }
.brief-entry > summary { cursor: pointer; font-weight: 600; }
#active-filters .chips { display: flex; flex-wrap: wrap; gap: 2px; }
/* Vega fits the bars to the box and draws the slanted dates and the axis title past it: room
   for them, outside the bars' box, instead of clipping them ("3-06"). */
#tag-plot { overflow: visible !important; margin-bottom: 76px !important; padding-left: 28px !important; }
#tag-plot svg.marks { overflow: visible; }
#day-from, #day-to { min-width: 200px; }
#day-from button, #day-to button { flex-shrink: 0; }
@media (max-width: 700px) { .src-card { padding: 8px; } .sources-pane { max-height: 75vh; } }
"""

_SCRIPT = """
(() => {
  const MARK = /\\[(\\d{1,3})\\]/g;
  const T = __LABELS__;
  const L = (navigator.language || 'en').toLowerCase().startsWith('ko') ? T.ko : T.en;
  function linkMarkers(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) {
      const n = walker.currentNode;
      if (MARK.test(n.nodeValue) && !n.parentElement.closest('a, code, pre')) nodes.push(n);
      MARK.lastIndex = 0;
    }
    for (const n of nodes) {
      const frag = document.createDocumentFragment();
      let last = 0;
      n.nodeValue.replace(MARK, (m, num, at) => {
        frag.append(n.nodeValue.slice(last, at));
        const a = document.createElement('a');
        a.className = 'cite'; a.href = '#src-' + num; a.textContent = m;
        frag.append(a); last = at + m.length;
      });
      frag.append(n.nodeValue.slice(last));
      n.replaceWith(frag);
    }
  }
  function scroller(el) {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const y = getComputedStyle(p).overflowY;
      if ((y === 'auto' || y === 'scroll') && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  }
  // A new answer opens at its first line: the chat shows its start, and so does the page.
  let answers = 0;
  function followNewest() {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    if (bots.length === answers) return;
    answers = bots.length;
    const msg = bots[bots.length - 1];
    if (!msg) return;
    const box = scroller(msg);
    if (box) box.scrollTop += msg.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    const top = msg.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 60) window.scrollBy(0, top - 80);
  }
  // Gradio writes these in English whatever the locale: the copy-all button and toast titles.
  function relabel() {
    document.querySelectorAll('button[aria-label="Copy conversation"], button[title="Copy conversation"]')
      .forEach(b => { b.setAttribute('aria-label', L.copy_all); b.title = L.copy_all; });
    document.querySelectorAll('.toast-title').forEach(t => {
      const text = t.firstChild;
      if (text && text.nodeType === 3 && L[text.nodeValue.trim()]) text.nodeValue = L[text.nodeValue.trim()] + ' ';
    });
  }
  new MutationObserver(() => {
    document.querySelectorAll('#chat [data-testid="bot"]').forEach(linkMarkers);
    followNewest();
    if (L !== T.en) relabel();
  }).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
  function ask(question) {
    const box = document.querySelector('#question textarea');
    box.value = question;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => document.querySelector('#ask').click(), 0);
  }
  document.addEventListener('click', (ev) => {
    const author = ev.target.closest('button.author');
    if (author) {
      ev.preventDefault();
      document.querySelector('#tab-ask-button')?.click();
      ask('papers by ' + author.dataset.author);
      return;
    }
    const a = ev.target.closest('a.cite');
    if (!a) return;
    const card = document.querySelector('#sources ' + a.getAttribute('href'));
    if (!card) return;
    ev.preventDefault();
    document.querySelectorAll('.src-card.flash').forEach(c => c.classList.remove('flash'));
    card.classList.add('flash');
    card.scrollIntoView({block: 'start', behavior: 'instant'});
  });
  document.addEventListener('focusin', (ev) => {
    if (ev.target.matches('#browse-day input, #browse-tag input')) ev.target.select();
  });
})();
"""


def head_script() -> str:
    """The page's script, with the labels it needs in both languages."""
    labels = {lang: {"copy_all": label("copy_all", lang), "Warning": label("warning", lang),
                     "Error": label("error", lang)} for lang in ("en", "ko")}
    return "<script>" + _SCRIPT.replace("__LABELS__", json.dumps(labels, ensure_ascii=False)) + "</script>"
