import React from 'react';

export function Comment({ comment }) {
  return (
    <div className="comment">
      <div dangerouslySetInnerHTML={{ __html: comment.body }} /> {/* expect: js.dangerously-set-inner-html */}
    </div>
  );
}
