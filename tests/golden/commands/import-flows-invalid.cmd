import --flows tests/import/flows/bad.jsonl
