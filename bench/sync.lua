-- wrk script: POST /api/v1/sync with a 50-item batch of finished lessons,
-- fresh item ids in every request, so each item takes the "stored" path
-- (the dear one), not "duplicate". The session cookie comes from wrk's
-- -H "Cookie: ..."; the CSRF token and the lesson slugs (space-separated)
-- from the environment (bench/__main__.py sets them). Items follow
-- clinics/phone/sync.py (FIELDS).
local token = os.getenv("CSRF_TOKEN") or ""
local slugs = {}
for slug in string.gmatch(os.getenv("LESSON_SLUGS") or "", "%S+") do
  slugs[#slugs + 1] = slug
end

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
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local items = {}
  for i = 1, 50 do
    items[i] = string.format(
      '{"id":"%s","type":"lesson.completed","at":"%s","lesson":"%s","score":%d,"total":3}',
      uuid4(), at, slugs[(i % #slugs) + 1], i % 4)
  end
  return wrk.format(nil, nil, nil, '{"items":[' .. table.concat(items, ",") .. ']}')
end
