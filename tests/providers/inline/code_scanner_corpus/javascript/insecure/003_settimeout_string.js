function scheduleGreeting(name) {
  setTimeout("alert('Hello " + name + "')", 1000); // expect: js.settimeout-string
  window.setInterval('refresh()', 5000); // expect: js.settimeout-string
}
