function compileFormula(formula) {
  return new Function('x', 'return ' + formula); // expect: js.new-function
}

module.exports = { compileFormula };
