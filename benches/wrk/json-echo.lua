-- json-echo: POST a small JSON order with a query string (the URL carries it).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"user":"ada","note":"benchmark order","items":[{"sku":"A-1","qty":2,"price":3.5},{"sku":"B-7","qty":1,"price":12},{"sku":"C-3","qty":5,"price":0.99},{"sku":"D-9","qty":3,"price":7.25}]}'
