function scheduleGreeting(name) {
  setTimeout(() => alert(`Hello ${name}`), 1000);
  const timer = setInterval(refresh, 5000);
  const cache = new Map();
  return { timer, cache };
}
