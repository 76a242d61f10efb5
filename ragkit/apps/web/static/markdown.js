// A small Markdown renderer for answers that builds DOM nodes, never HTML strings: raw
// HTML in an answer stays visible text. It knows paragraphs, line breaks, headings (#),
// bullet and numbered lists, **bold**, *italic*, `code` and citation marks [n] / [n, m],
// which become buttons made by the caller's `cite(n)`, set where the answer's text sets
// the mark (`ragkit ask`, chat and /v1 write "… days [1]."): against the word before it
// and before the sentence's closing mark ("days①.", "两年①。"), that word (a Chinese
// character), chips and the punctuation after them in one span that does not wrap. `snippet` renders a passage of a
// source (a source card, a passage in the documents view) on one line: emphasis and code
// as in answers, the rest of its Markdown (heading and quote markers, links, images, table
// pipes) reduced to its words, and [n] kept as text. Leaves out links, images, tables and
// nested lists: an answer has no use for them and each is a way to smuggle content in.
"use strict";

const RagkitMarkdown = (() => {
  const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*)|([[【]\d+(?:\s*[,，、]\s*\d+)*[\]】])/g;
  // Closing punctuation right after a citation: held in the chip's span after it, so it
  // is never wrapped onto a line of its own (a lone 。 or . starting the next line).
  const CLOSING = /^[.,;:!?)\]}'"’”…。，、；：！？）」』】〉》]+/;

  // A run of 30 or more characters without a space (a web address, a long code) may
  // break anywhere; nothing else may: breaking anywhere everywhere would also break a
  // word from the chip and full stop after it, leaving "①." alone at a line's start.
  const LONG = /\S{30,}/g;
  // The word a citation mark follows, kept on its line: a Chinese character (with the
  // punctuation after it), or a run of other characters short enough not to need
  // breaking (a longer one may break anywhere, as LONG says).
  const TAIL = /(?:[\u2e80-\u9fff\uf900-\ufaff][\u3000-\u303f\uff00-\uffef]*|(?<![^\s\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])[^\s\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]{1,29}[\u3000-\u303f\uff00-\uffef]*)$/;

  function words(parent, text) {
    let last = 0;
    for (const m of text.matchAll(LONG)) {
      parent.append(text.slice(last, m.index));
      const long = document.createElement("span");
      long.className = "long-word";
      long.textContent = m[0];
      parent.append(long);
      last = m.index + m[0].length;
    }
    parent.append(text.slice(last));
  }

  // `cite` null: citation marks stay text (a source's own brackets are not citations).
  function inline(parent, text, cite) {
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      const token = m[0];
      let before = text.slice(last, m.index);
      // The space before a citation mark goes: the chip sits against its word.
      if (m[4] && cite) before = before.replace(/[ \t\u3000]+$/, "");
      // ...and that word (a Chinese character) goes into the chip's unbreakable span: a
      // line may break between two Chinese characters, so "七年[1]" could otherwise
      // leave the chip alone at the start of the next line.
      const tail = m[4] && cite ? TAIL.exec(before) : null;
      words(parent, tail ? before.slice(0, tail.index) : before);
      if (m[4] && !cite) {
        parent.append(token);
      } else if (m[1]) {
        const code = document.createElement("code");
        code.textContent = token.slice(1, -1);
        parent.append(code);
      } else if (m[2]) {
        const strong = document.createElement("strong");
        inline(strong, token.slice(2, -2), cite);
        parent.append(strong);
      } else if (m[3]) {
        const em = document.createElement("em");
        inline(em, token.slice(1, -1), cite);
        parent.append(em);
      } else {
        const numbers = token.slice(1, -1).split(/[,，、]/).map((n) => Number(n.trim()));
        const group = document.createElement("span");
        group.className = "cite-group";
        if (tail) group.append(tail[0]);
        numbers.forEach((n, i) => {
          if (i) group.append(" ");
          group.append(cite(n));
        });
        const closing = CLOSING.exec(text.slice(m.index + token.length));
        if (closing) group.append(closing[0]);
        parent.append(group);
        last = m.index + token.length + (closing ? closing[0].length : 0);
        continue;
      }
      last = m.index + token.length;
    }
    words(parent, text.slice(last));
  }

  // `text` as block elements appended to `box`.
  function render(box, text, cite) {
    box.replaceChildren();
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    let para = null;
    let list = null;
    const close = () => { para = null; list = null; };
    for (const raw of lines) {
      const line = raw.trimEnd();
      if (!line.trim()) { close(); continue; }
      const heading = /^(#{1,3})\s+(.*)$/.exec(line);
      const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
      const numbered = /^\s*(\d+)[.)]\s+(.*)$/.exec(line);
      if (heading) {
        close();
        const h = document.createElement("h" + (heading[1].length + 2));
        inline(h, heading[2], cite);
        box.append(h);
      } else if (bullet || numbered) {
        const tag = bullet ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== tag) {
          para = null;
          list = document.createElement(tag);
          if (numbered && numbered[1] !== "1") list.start = Number(numbered[1]);
          box.append(list);
        }
        const li = document.createElement("li");
        inline(li, bullet ? bullet[1] : numbered[2], cite);
        list.append(li);
      } else {
        list = null;
        if (para) para.append(document.createElement("br"));
        else {
          para = document.createElement("p");
          box.append(para);
        }
        inline(para, line, cite);
      }
    }
  }

  // A source's Markdown reduced to one line of words: images to their alt text, links
  // to their text; heading, quote and list markers (those starting a line: a sentence
  // cut from a list item starts with one), table pipes and rules gone.
  function flatten(text) {
    return text
      .replace(/!\[([^\]\n]*)\]\([^)\n]*\)/g, "$1")
      .replace(/\[([^\]\n]+)\]\([^)\n]*\)/g, "$1")
      .replace(/\|?(?:\s*:?-{3,}:?\s*\|)+/g, " ")
      .replace(/^\s*(?:-{3,}|\*{3,}|_{3,})\s*$/gm, " ")
      .replace(/(^|\s)(?:#{1,6}|>)(?=\s)/g, "$1")
      .replace(/^\s*(?:[-*+•]|\d+[.)])\s+/gm, "")
      .replace(/\s*\|\s*/g, " ")
      .replace(/\s+/g, " ")
      .trim();
  }

  // `text` (a passage of a source) as inline nodes appended to `box`.
  function snippet(box, text) {
    box.replaceChildren();
    inline(box, flatten(text || ""), null);
  }

  return { render, snippet };
})();
