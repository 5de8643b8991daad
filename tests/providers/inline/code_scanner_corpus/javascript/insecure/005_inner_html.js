function renderComment(comment) {
  const el = document.getElementById('comments');
  el.innerHTML = `<p>${comment.author}: ${comment.body}</p>`; // expect: js.inner-html
  el.outerHTML += comment.footer; // expect: js.inner-html
  document.write('<h1>' + location.hash.slice(1) + '</h1>'); // expect: js.document-write
  el.insertAdjacentHTML('beforeend', comment.html); // expect: js.inner-html
}
