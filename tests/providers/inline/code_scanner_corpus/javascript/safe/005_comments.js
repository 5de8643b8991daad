// Never use eval() or new Function() on user input.
/*
 * el.innerHTML = userInput;  // XSS!
 * child_process.exec('rm -rf ' + dir);
 */
const tips = ["don't call eval(x)", 'avoid document.write(html)'];
console.log(tips.join('\n'));
