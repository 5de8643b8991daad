import DOMPurify from 'dompurify';

export function Comment({ comment }) {
  const data = JSON.parse(comment.meta);
  return (
    <div>
      <p>{comment.body}</p>
      <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(comment.html) }} />
      <span>{data.likes}</span>
    </div>
  );
}
