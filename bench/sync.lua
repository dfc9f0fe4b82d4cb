-- wrk script: POST /api/v1/sync with a 50-item batch, fresh item ids in
-- every request, so each item takes the "stored" path (the dear one), not
-- "duplicate". The session cookie comes from wrk's -H "Cookie: ..."; the
-- CSRF token from the environment (bench/__main__.py sets both).
-- The item fields follow PRODUCT.md's contract; match them to the sync
-- endpoint's validation when it lands.
local token = os.getenv("CSRF_TOKEN") or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-CSRFToken"] = token

math.randomseed(os.time())

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

request = function()
  local items = {}
  for i = 1, 50 do
    items[i] = string.format(
      '{"id":"%s","type":"craving.logged","at":"2026-11-01T10:%02d:00Z","intensity_before":7,"intensity_after":3,"tool":"breathing","outcome":"passed"}',
      uuid4(), i % 60)
  end
  return wrk.format(nil, nil, nil, '{"items":[' .. table.concat(items, ",") .. ']}')
end
