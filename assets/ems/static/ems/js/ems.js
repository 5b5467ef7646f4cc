// EMS front-end: ajax error hints (用户名已存在, 验证码错误, 用户名或密码错误)
// without a page reload, a click-to-refresh captcha and an avatar preview.
// Every POST carries the CSRF token from the form, as Django requires.
(function () {
  "use strict";

  function refreshCaptcha(form) {
    var img = form.querySelector("img.captcha");
    if (img) img.src = img.src.split("?")[0] + "?t=" + Date.now();
    var input = form.querySelector("input[name=captcha]");
    if (input) input.value = "";
  }

  // Which instance answered (the ajax answer's "instance"): shown beside the
  // message (CSS, from data-via), so 验证码正确 from one instance and 验证码错误
  // from another can be told apart on the page.
  function setVia(box, message, instance) {
    if (message && instance) {
      box.dataset.via = instance;
      box.title = "实例 " + instance + " 的回答 · answered by instance " + instance;
    } else {
      delete box.dataset.via;
      box.removeAttribute("title");
    }
  }

  function showError(form, field, message, instance) {
    var box = form.querySelector('[data-error="' + field + '"]');
    var input = form.querySelector('[name="' + field + '"]');
    if (box) {
      box.textContent = message || "";
      box.className = box.className.replace(/\bfield-ok\b/, "field-error");
      if (box.hasAttribute("hidden") || field === "__all__") box.hidden = !message;
      setVia(box, message, instance);
    }
    if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function showOK(form, field, message, instance) {
    var box = form.querySelector('[data-error="' + field + '"]');
    if (box) {
      box.textContent = message;
      box.className = box.className.replace(/\bfield-error\b/, "field-ok");
      setVia(box, message, instance);
    }
    var input = form.querySelector('[name="' + field + '"]');
    if (input) input.setAttribute("aria-invalid", "false");
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error]").forEach(function (el) {
      showError(form, el.getAttribute("data-error"), "");
    });
  }

  document.querySelectorAll("img.captcha").forEach(function (img) {
    img.addEventListener("click", function () { refreshCaptcha(img.closest("form")); });
  });

  // Username taken? Asked when the field loses focus.
  document.querySelectorAll("input[data-check-username]").forEach(function (input) {
    input.addEventListener("blur", function () {
      var form = input.closest("form");
      if (!input.value.trim()) return;
      fetch(input.dataset.checkUsername + "?username=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) { d.ok ? showOK(form, "username", d.message, d.instance) : showError(form, "username", d.message, d.instance); })
        .catch(function () {});
    });
  });

  // Captcha right? Asked once enough digits are typed; the code stays valid.
  document.querySelectorAll("input[data-check-captcha]").forEach(function (input) {
    input.addEventListener("input", function () {
      var form = input.closest("form");
      if (input.value.trim().length < 4) { showError(form, "captcha", ""); return; }
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      body.append("captcha", input.value);
      fetch(input.dataset.checkCaptcha, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) { d.ok ? showOK(form, "captcha", d.message, d.instance) : showError(form, "captcha", d.message, d.instance); })
        .catch(function () {});
    });
  });

  // Login and register submit through fetch and show the server's errors in place.
  document.querySelectorAll("form[data-ajax]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest" }
      }).then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") !== 0) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (d) {
        if (d.ok) { window.location.assign(d.redirect); return; }
        clearErrors(form);
        Object.keys(d.errors || {}).forEach(function (k) { showError(form, k, d.errors[k], d.instance); });
        refreshCaptcha(form); // the server used this code up
        if (button) button.disabled = false;
      }).catch(function (err) {
        showError(form, "__all__", "服务器错误，请稍后再试（" + err.message + "）");
        refreshCaptcha(form);
        if (button) button.disabled = false;
      });
    });
  });

  // An avatar whose file does not load (uploaded to another instance's media,
  // say) is shown as missing, with its initial, in place of the browser's
  // broken-image icon, and says which address failed.
  function avatarMissing(img) {
    var span = document.createElement("span");
    span.className = "avatar avatar-missing";
    span.textContent = (img.dataset.initial || "?");
    span.title = "头像文件没有加载成功 · avatar not found: " + img.getAttribute("src");
    span.setAttribute("role", "img");
    span.setAttribute("aria-label", img.alt + "（丢失）");
    img.replaceWith(span);
  }
  document.querySelectorAll("img.avatar").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0) { avatarMissing(img); return; }
    img.addEventListener("error", function () { avatarMissing(img); });
  });

  // Avatar preview before upload.
  document.querySelectorAll("input[type=file][name=avatar]").forEach(function (input) {
    input.addEventListener("change", function () {
      var box = document.querySelector("[data-avatar-preview]");
      if (!box || !input.files || !input.files[0]) return;
      var img = document.createElement("img");
      img.alt = "预览";
      img.src = URL.createObjectURL(input.files[0]);
      box.replaceChildren(img);
    });
  });
})();
