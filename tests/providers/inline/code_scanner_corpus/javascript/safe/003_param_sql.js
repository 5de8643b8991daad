const { Pool } = require('pg');
const pool = new Pool();

async function findUser(id) {
  const { rows } = await pool.query('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0];
}

function findOrders(db, userId) {
  const sql = `SELECT * FROM orders WHERE user_id = ? ORDER BY created_at DESC`;
  return db.query(sql, [userId]);
}
