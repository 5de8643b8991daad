const mysql = require('mysql');
const db = mysql.createConnection({ host: 'localhost', user: 'app', database: 'shop' });

app.get('/user', (req, res) => {
  db.query("SELECT * FROM users WHERE id = " + req.query.id, (err, rows) => res.json(rows)); // expect: js.sql-injection
});

app.get('/search', async (req, res) => {
  const rows = await pool.query(`SELECT * FROM products WHERE name LIKE '%${req.query.q}%'`); // expect: js.sql-injection
  res.json(rows);
});

function deleteOrder(id) {
  const sql = "DELETE FROM orders WHERE id = '" + id + "'";
  return db.query(sql); // expect: js.sql-injection
}
