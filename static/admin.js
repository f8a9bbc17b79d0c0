// The admin editors, a little friendlier with JavaScript (everything works without it):
// validate as you type (the server's own validator, via the validate endpoint), apply a
// rule-type change at once, ask before deleting, and scroll back to what was just added.
(function () {
  "use strict";

  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }

  // Ask before a destructive button.
  each("[data-confirm]", function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // A changed rule type or node kind: save at once so its parameters appear (a node kind
  // change drops the old rule or children, so it asks first).
  each("select[data-apply]", function (select) {
    var previous = select.value;
    select.addEventListener("change", function () {
      var question = select.getAttribute("data-confirm-change");
      if (question && !window.confirm(question)) { select.value = previous; return; }
      var form = select.form;
      var apply = document.createElement("input");
      apply.type = "hidden"; apply.name = "action"; apply.value = "save";
      form.appendChild(apply);
      clearTimeout(timer);  // form.submit() fires no submit event (see below)
      form.submit();
    });
  });

  // Back to the element a button added or moved.
  var editor = document.getElementById("structured-form");
  if (editor && editor.dataset.anchor) {
    var target = document.getElementById(editor.dataset.anchor);
    if (target) { target.scrollIntoView({ block: "center" }); }
  }

  // Live validation: post the form to the validate endpoint and list the problems.
  var form = editor || document.getElementById("raw-form");
  var box = document.getElementById("live-problems");
  if (!form || !box || !window.fetch || !form.dataset.validateUrl) { return; }
  var timer = null;

  function list(title, items, cls) {
    var div = document.createElement("div");
    div.className = "flash problems " + cls;
    var strong = document.createElement("strong");
    strong.textContent = title;
    div.appendChild(strong);
    var ul = document.createElement("ul");
    items.forEach(function (p) {
      var li = document.createElement("li");
      if (p.path) {
        var code = document.createElement("code");
        code.textContent = p.path;             // textContent: messages never become markup
        li.appendChild(code);
        li.appendChild(document.createTextNode(": "));
      }
      li.appendChild(document.createTextNode(p.message));
      ul.appendChild(li);
    });
    div.appendChild(ul);
    return div;
  }

  function show(result) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    if (result.problems.length) {
      box.appendChild(list("共 " + result.problems.length + " 处问题（修改后才能发布）", result.problems, "error"));
    } else {
      var ok = document.createElement("div");
      ok.className = "flash success";
      ok.textContent = "检查通过：没有问题";
      box.appendChild(ok);
    }
    if (result.warnings.length) { box.appendChild(list("提示", result.warnings, "warning")); }
  }

  function validate() {
    var data = new FormData(form);
    data.delete("action");
    fetch(form.dataset.validateUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result) { show(result); } })
      .catch(function () { /* offline: the 检查 button still works */ });
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(validate, 600); });
  // Once a form is sent the page is leaving: a check still pending would race the
  // navigation, and its response would put back the session cookie as it was before the
  // next page consumed its messages (the "saved" notice shown twice).
  document.addEventListener("submit", function () { clearTimeout(timer); }, true);
  // The 检查 button answers in place instead of reloading the page.
  each("button[name=action][value=check]", function (button) {
    if (button.form !== form) { return; }
    button.addEventListener("click", function (event) { event.preventDefault(); validate(); });
  });
})();
