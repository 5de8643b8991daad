const vm = require('vm');

function runUserScript(code) {
  const sandbox = { result: null };
  vm.runInNewContext(code, sandbox); // expect: js.vm-run
  return new vm.Script(code).runInThisContext(); // expect: js.vm-run
}
