-- Issue 16 §1, ADR 0230: a workstation is assigned, when it is made, to the person it was made for (the buyer
-- of a checkout, the user an admin named), as every workstation was before assignment existed and as
-- migration 120 backfilled. Every path that inserts provisioned_workstations (checkout fulfilment, admin
-- grants, subscription quantity increases) gets this without knowing about assignment; afterwards only the
-- account API changes assignee_user_id (NULL = unassigned: nobody has access).
CREATE FUNCTION provisioned_workstations_default_assignee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.assignee_user_id IS NULL AND NEW.user_email <> '' THEN
    INSERT INTO users (id, email, created_at)
    VALUES (gen_random_uuid(), lower(NEW.user_email), NEW.created_at)
    ON CONFLICT (email) DO NOTHING;
    SELECT id INTO NEW.assignee_user_id FROM users WHERE email = lower(NEW.user_email);
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER provisioned_workstations_default_assignee
  BEFORE INSERT ON provisioned_workstations
  FOR EACH ROW EXECUTE FUNCTION provisioned_workstations_default_assignee();
