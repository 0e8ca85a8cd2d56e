import --flows tests/import/flows/shop.jsonl
