const { exec, execSync } = require('child_process');

function listDir(dir) {
  exec(`ls -la ${dir}`, (err, stdout) => console.log(stdout)); // expect: js.child-process-exec
}

function clone(url) {
  const cmd = 'git clone ' + url;
  return execSync(cmd); // expect: js.child-process-exec
}

function convert(file) {
  require('child_process').exec('convert ' + file + ' out.png'); // expect: js.child-process-exec
}
