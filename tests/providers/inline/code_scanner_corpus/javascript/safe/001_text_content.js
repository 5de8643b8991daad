function renderComment(comment) {
  const el = document.getElementById('comments');
  el.innerHTML = '';
  const p = document.createElement('p');
  p.textContent = `${comment.author}: ${comment.body}`;
  el.appendChild(p);
  el.innerHTML = '<hr class="divider">';
}
