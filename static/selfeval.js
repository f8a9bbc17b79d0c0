// Live scoring of the self-evaluation: as the filer types, post the form to the
// score endpoint (nothing is saved) and show suggested scores, total and grade.
// Without JavaScript the "保存并重新计算" button does the same through a full page.
(function () {
  "use strict";
  var form = document.getElementById("selfeval-form");
  if (!form || !window.fetch) { return; }
  var timer = null;

  function setText(el, text) { if (el) { el.textContent = text; } }

  function show(result) {
    result.leaves.forEach(function (leaf) {
      setText(form.querySelector('td.suggested[data-leaf="' + leaf.id + '"]'), leaf.suggested === null ? "—" : leaf.suggested);
      var list = form.querySelector('ul.leaf-problems[data-leaf="' + leaf.id + '"]');
      if (!list) { return; }
      while (list.firstChild) { list.removeChild(list.firstChild); }
      leaf.problems.concat(leaf.warnings).forEach(function (p, i) {
        var li = document.createElement("li");
        li.className = i < leaf.problems.length ? "error" : "warn";
        li.textContent = p.message;   // textContent: messages never become markup
        list.appendChild(li);
      });
    });
    setText(document.getElementById("score-base"), result.base);
    setText(document.getElementById("score-total"), result.total);
    setText(document.getElementById("score-grade"), result.grade ? (result.grade[document.documentElement.lang === "en" ? "en" : "zh"] || result.grade.zh) : "");
  }

  function rescore() {
    fetch(form.dataset.scoreUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result) { show(result); } })
      .catch(function () { /* offline: the save button still works */ });
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(rescore, 400); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(rescore, 100); });
  // A sent form: no pending rescoring while the page leaves (its response would restore
  // the session cookie from before the next page consumed its messages).
  document.addEventListener("submit", function () { clearTimeout(timer); }, true);
})();
